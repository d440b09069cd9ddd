//! Go tabwriter-compatible column layout (minwidth 10, padding 3) for Docker tables.
//!
//! Docker's CLI writes rows with `\t` between cells into `tabwriter.NewWriter(out, 10, 1, 3,
//! ' ', 0)`. A cell is the text before a tab; the text after a line's last tab is not part of
//! any column and is printed as is. Columns are sized per *block* of consecutive lines that
//! have that column, exactly as text/tabwriter's `format` does, so even odd inputs lay out
//! like Docker's.

/// Docker's table settings: minimum cell width 10, three spaces of padding.
pub fn docker_table(text: &str) -> String {
    tabwrite(text, 10, 3)
}

/// Lays out `text` (lines of tab-separated cells) like Go's text/tabwriter with padchar ' '.
pub fn tabwrite(text: &str, minwidth: usize, padding: usize) -> String {
    let had_final_newline = text.ends_with('\n');
    let lines: Vec<Vec<&str>> = text
        .strip_suffix('\n')
        .unwrap_or(text)
        .split('\n')
        .map(|l| l.split('\t').collect())
        .collect();
    let mut out = String::new();
    let mut widths = Vec::new();
    format_block(
        &lines,
        0,
        lines.len(),
        &mut widths,
        minwidth,
        padding,
        &mut out,
    );
    if !had_final_newline {
        out.pop();
    }
    out
}

fn format_block(
    lines: &[Vec<&str>],
    mut line0: usize,
    line1: usize,
    widths: &mut Vec<usize>,
    minwidth: usize,
    padding: usize,
    out: &mut String,
) {
    let column = widths.len();
    let mut this = line0;
    while this < line1 {
        if column + 1 >= lines[this].len() {
            this += 1;
            continue;
        }
        // This line has a cell in `column`: print the lines before it, then size the
        // column over the run of lines that all have it.
        write_lines(lines, line0, this, widths, out);
        line0 = this;
        let mut width = minwidth;
        while this < line1 && column + 1 < lines[this].len() {
            width = width.max(lines[this][column].chars().count() + padding);
            this += 1;
        }
        widths.push(width);
        format_block(lines, line0, this, widths, minwidth, padding, out);
        widths.pop();
        line0 = this;
    }
    write_lines(lines, line0, line1, widths, out);
}

fn write_lines(lines: &[Vec<&str>], from: usize, to: usize, widths: &[usize], out: &mut String) {
    for cells in &lines[from..to] {
        for (j, cell) in cells.iter().enumerate() {
            out.push_str(cell);
            if j + 1 < cells.len() {
                let width = widths.get(j).copied().unwrap_or(0);
                for _ in cell.chars().count()..width {
                    out.push(' ');
                }
            }
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_ps_header_matches_docker() {
        let out = docker_table("CONTAINER ID\tIMAGE\tCOMMAND\tCREATED\tSTATUS\tPORTS\tNAMES\n");
        assert_eq!(
            out,
            "CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n"
        );
    }

    #[test]
    fn columns_grow_to_the_widest_cell_plus_padding() {
        let out = docker_table("REPOSITORY\tTAG\tIMAGE ID\n busybox\tlatest\t9237bab9ee79\n");
        assert_eq!(
            out,
            "REPOSITORY   TAG       IMAGE ID\n busybox     latest    9237bab9ee79\n"
        );
    }

    #[test]
    fn empty_last_cell_leaves_trailing_spaces() {
        let out = docker_table("a\tb\t\n");
        assert_eq!(out, "a         b         \n");
    }

    #[test]
    fn multibyte_cells_are_measured_in_characters() {
        let out = docker_table("\"sleep 3600…\"\tx\nab\ty\n");
        assert_eq!(out, "\"sleep 3600…\"   x\nab              y\n");
    }

    #[test]
    fn blocks_are_sized_separately() {
        // The middle line has no tab, so it splits the first column into two blocks.
        let out = tabwrite("aaaaaaaaaaaaaaa\tx\nplain\nb\ty\n", 1, 1);
        assert_eq!(out, "aaaaaaaaaaaaaaa x\nplain\nb y\n");
    }
}
