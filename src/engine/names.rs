//! Random container names (`adjective_surname`), as moby's namesgenerator makes them.
//!
//! The word lists are moby's `internal/namesgenerator/names-generator.go` (formerly
//! `pkg/namesgenerator`), which upstream has frozen: "no new additions will be accepted". They
//! are reproduced word for word, in moby's order, so a docklab name is always one Docker could
//! have picked, and lab files can match generated names with the same `[NAME]` pattern.

use crate::engine::ids::random_bytes;

/// moby's `left` list: the adjectives.
pub const LEFT: [&str; 108] = [
    "admiring",
    "adoring",
    "affectionate",
    "agitated",
    "amazing",
    "angry",
    "awesome",
    "beautiful",
    "blissful",
    "bold",
    "boring",
    "brave",
    "busy",
    "charming",
    "clever",
    "compassionate",
    "competent",
    "condescending",
    "confident",
    "cool",
    "cranky",
    "crazy",
    "dazzling",
    "determined",
    "distracted",
    "dreamy",
    "eager",
    "ecstatic",
    "elastic",
    "elated",
    "elegant",
    "eloquent",
    "epic",
    "exciting",
    "fervent",
    "festive",
    "flamboyant",
    "focused",
    "friendly",
    "frosty",
    "funny",
    "gallant",
    "gifted",
    "goofy",
    "gracious",
    "great",
    "happy",
    "hardcore",
    "heuristic",
    "hopeful",
    "hungry",
    "infallible",
    "inspiring",
    "intelligent",
    "interesting",
    "jolly",
    "jovial",
    "keen",
    "kind",
    "laughing",
    "loving",
    "lucid",
    "magical",
    "modest",
    "musing",
    "mystifying",
    "naughty",
    "nervous",
    "nice",
    "nifty",
    "nostalgic",
    "objective",
    "optimistic",
    "peaceful",
    "pedantic",
    "pensive",
    "practical",
    "priceless",
    "quirky",
    "quizzical",
    "recursing",
    "relaxed",
    "reverent",
    "romantic",
    "sad",
    "serene",
    "sharp",
    "silly",
    "sleepy",
    "stoic",
    "strange",
    "stupefied",
    "suspicious",
    "sweet",
    "tender",
    "thirsty",
    "trusting",
    "unruffled",
    "upbeat",
    "vibrant",
    "vigilant",
    "vigorous",
    "wizardly",
    "wonderful",
    "xenodochial",
    "youthful",
    "zealous",
    "zen",
];

/// moby's `right` list: surnames of notable scientists and hackers.
pub const RIGHT: [&str; 236] = [
    "agnesi",
    "albattani",
    "allen",
    "almeida",
    "antonelli",
    "archimedes",
    "ardinghelli",
    "aryabhata",
    "austin",
    "babbage",
    "banach",
    "banzai",
    "bardeen",
    "bartik",
    "bassi",
    "beaver",
    "bell",
    "benz",
    "bhabha",
    "bhaskara",
    "black",
    "blackburn",
    "blackwell",
    "bohr",
    "booth",
    "borg",
    "bose",
    "bouman",
    "boyd",
    "brahmagupta",
    "brattain",
    "brown",
    "buck",
    "burnell",
    "cannon",
    "carson",
    "cartwright",
    "carver",
    "cerf",
    "chandrasekhar",
    "chaplygin",
    "chatelet",
    "chatterjee",
    "chaum",
    "chebyshev",
    "clarke",
    "cohen",
    "colden",
    "cori",
    "cray",
    "curie",
    "curran",
    "darwin",
    "davinci",
    "dewdney",
    "dhawan",
    "diffie",
    "dijkstra",
    "dirac",
    "driscoll",
    "dubinsky",
    "easley",
    "edison",
    "einstein",
    "elbakyan",
    "elgamal",
    "elion",
    "ellis",
    "engelbart",
    "euclid",
    "euler",
    "faraday",
    "feistel",
    "fermat",
    "fermi",
    "feynman",
    "franklin",
    "gagarin",
    "galileo",
    "galois",
    "ganguly",
    "gates",
    "gauss",
    "germain",
    "goldberg",
    "goldstine",
    "goldwasser",
    "golick",
    "goodall",
    "gould",
    "greider",
    "grothendieck",
    "haibt",
    "hamilton",
    "haslett",
    "hawking",
    "heisenberg",
    "hellman",
    "hermann",
    "herschel",
    "hertz",
    "heyrovsky",
    "hodgkin",
    "hofstadter",
    "hoover",
    "hopper",
    "hugle",
    "hypatia",
    "ishizaka",
    "jackson",
    "jang",
    "jemison",
    "jennings",
    "jepsen",
    "johnson",
    "joliot",
    "jones",
    "kalam",
    "kapitsa",
    "kare",
    "keldysh",
    "keller",
    "kepler",
    "khayyam",
    "khorana",
    "kilby",
    "kirch",
    "knuth",
    "kowalevski",
    "lalande",
    "lamarr",
    "lamport",
    "leakey",
    "leavitt",
    "lederberg",
    "lehmann",
    "lewin",
    "lichterman",
    "liskov",
    "lovelace",
    "lumiere",
    "mahavira",
    "margulis",
    "matsumoto",
    "maxwell",
    "mayer",
    "mccarthy",
    "mcclintock",
    "mclaren",
    "mclean",
    "mcnulty",
    "meitner",
    "mendel",
    "mendeleev",
    "meninsky",
    "merkle",
    "mestorf",
    "mirzakhani",
    "montalcini",
    "moore",
    "morse",
    "moser",
    "murdock",
    "napier",
    "nash",
    "neumann",
    "newton",
    "nightingale",
    "nobel",
    "noether",
    "northcutt",
    "noyce",
    "panini",
    "pare",
    "pascal",
    "pasteur",
    "payne",
    "perlman",
    "pike",
    "poincare",
    "poitras",
    "proskuriakova",
    "ptolemy",
    "raman",
    "ramanujan",
    "rhodes",
    "ride",
    "ritchie",
    "robinson",
    "roentgen",
    "rosalind",
    "rubin",
    "saha",
    "sammet",
    "sanderson",
    "satoshi",
    "shamir",
    "shannon",
    "shaw",
    "shirley",
    "shockley",
    "shtern",
    "sinoussi",
    "snyder",
    "solomon",
    "spence",
    "stonebraker",
    "sutherland",
    "swanson",
    "swartz",
    "swirles",
    "taussig",
    "tesla",
    "tharp",
    "thompson",
    "torvalds",
    "tu",
    "turing",
    "varahamihira",
    "vaughan",
    "villani",
    "visvesvaraya",
    "volhard",
    "wescoff",
    "wilbur",
    "wiles",
    "williams",
    "williamson",
    "wilson",
    "wing",
    "wozniak",
    "wright",
    "wu",
    "yalow",
    "yonath",
    "zhukovsky",
];

/// A random `adjective_surname` name, exactly as moby's `generateName(retry)` builds it.
///
/// `retry` counts earlier attempts that collided with an existing container name; when it is
/// non-zero one random decimal digit is appended (`focused_turing3`), which is how the daemon
/// makes a second try less likely to collide again.
pub fn random_name(retry: u32) -> String {
    loop {
        let name = format!(
            "{}_{}",
            LEFT[uniform(LEFT.len())],
            RIGHT[uniform(RIGHT.len())]
        );
        // moby: `if name == "boring_wozniak" /* Steve Wozniak is not boring */ { goto begin }`
        if name == "boring_wozniak" {
            continue;
        }
        if retry > 0 {
            return format!("{name}{}", uniform(10));
        }
        return name;
    }
}

/// A uniform index in `0..n` from the kernel's random source. Rejection sampling drops the top
/// partial range of `u32` so every index is equally likely (plain `% n` would favour the
/// first `2^32 mod n` words, slightly but measurably).
fn uniform(n: usize) -> usize {
    let n = n as u32;
    let zone = u32::MAX - u32::MAX % n;
    loop {
        let mut b = [0u8; 4];
        random_bytes(&mut b);
        let v = u32::from_le_bytes(b);
        if v < zone {
            return (v % n) as usize;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn lists_have_moby_sizes_and_no_duplicates() {
        assert_eq!(LEFT.len(), 108);
        assert_eq!(RIGHT.len(), 236);
        assert_eq!(LEFT.iter().collect::<HashSet<_>>().len(), 108);
        assert_eq!(RIGHT.iter().collect::<HashSet<_>>().len(), 236);
        // moby keeps both lists alphabetical; a transcription slip would likely break that.
        assert!(LEFT.windows(2).all(|w| w[0] < w[1]));
        assert!(RIGHT.windows(2).all(|w| w[0] < w[1]));
        assert_eq!((LEFT[0], LEFT[107]), ("admiring", "zen"));
        assert_eq!((RIGHT[0], RIGHT[235]), ("agnesi", "zhukovsky"));
        assert!(LEFT.contains(&"boring") && RIGHT.contains(&"wozniak"));
    }

    fn split(name: &str) -> (&str, &str) {
        name.split_once('_').expect("an underscore")
    }

    #[test]
    fn names_are_adjective_underscore_surname() {
        let re = regex::Regex::new("^[a-z]+_[a-z]+$").unwrap();
        for _ in 0..2000 {
            let name = random_name(0);
            assert!(re.is_match(&name), "{name}");
            let (l, r) = split(&name);
            assert!(LEFT.contains(&l), "{name}");
            assert!(RIGHT.contains(&r), "{name}");
            assert_ne!(name, "boring_wozniak");
        }
    }

    #[test]
    fn retry_appends_one_digit() {
        let re = regex::Regex::new("^[a-z]+_[a-z]+[0-9]$").unwrap();
        let mut digits = HashSet::new();
        for _ in 0..500 {
            let name = random_name(1);
            assert!(re.is_match(&name), "{name}");
            let (l, r) = split(name.trim_end_matches(|c: char| c.is_ascii_digit()));
            assert!(LEFT.contains(&l) && RIGHT.contains(&r), "{name}");
            digits.insert(name.chars().last().unwrap());
        }
        // 500 draws from 10 digits miss one with probability ~ 10 * 0.9^500, i.e. never.
        assert_eq!(digits.len(), 10);
    }

    #[test]
    fn both_lists_are_fully_used() {
        // Catches an index that never reaches the end of a list (an off-by-one in `uniform`).
        let mut lefts = HashSet::new();
        let mut rights = HashSet::new();
        for _ in 0..20_000 {
            let name = random_name(0);
            let (l, r) = split(&name);
            lefts.insert(l.to_string());
            rights.insert(r.to_string());
        }
        assert_eq!(lefts.len(), 108);
        assert_eq!(rights.len(), 236);
    }

    #[test]
    fn uniform_stays_in_range() {
        for n in [1, 2, 10, 108, 236] {
            for _ in 0..200 {
                assert!(uniform(n) < n);
            }
        }
    }
}
