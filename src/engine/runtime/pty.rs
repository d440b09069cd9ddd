//! Pseudo-terminals for `-t`: allocating one inside the container's devpts, passing the
//! master to the host side over a unix socket, raw mode and window size on the client.

use std::io;
use std::os::fd::RawFd;

use super::sys::cvt;

/// Opens a new pty pair through `ptmx` (the container's `/dev/ptmx` once pivoted, so the
/// slave is `/dev/pts/0` inside the container, as with runc). Returns (master, slave).
pub fn open_pair(ptmx: &str) -> io::Result<(RawFd, RawFd)> {
    let path = std::ffi::CString::new(ptmx).map_err(io::Error::other)?;
    // SAFETY: open with a valid path.
    let master = cvt(unsafe {
        libc::open(
            path.as_ptr(),
            libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
        )
    })?;
    // SAFETY: master is a ptmx fd.
    cvt(unsafe { libc::unlockpt(master) })?;
    let mut pts: libc::c_int = 0;
    // TIOCGPTN gives the slave's number in this devpts instance.
    cvt(unsafe { libc::ioctl(master, libc::TIOCGPTN, &mut pts) })?;
    let dir = std::path::Path::new(ptmx)
        .parent()
        .unwrap_or(std::path::Path::new("/dev"));
    let slave_path = if dir.ends_with("pts") {
        dir.join(pts.to_string())
    } else {
        dir.join("pts").join(pts.to_string())
    };
    let c = super::sys::cstr(&slave_path);
    let slave =
        cvt(unsafe { libc::open(c.as_ptr(), libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC) })?;
    Ok((master, slave))
}

/// Makes `slave` the controlling terminal of the calling session leader and its stdio.
pub fn become_controlling(slave: RawFd) -> io::Result<()> {
    // SAFETY: ioctl on our own tty fd.
    cvt(unsafe { libc::ioctl(slave, libc::TIOCSCTTY, 0) })?;
    for fd in 0..3 {
        super::sys::dup2(slave, fd)?;
    }
    Ok(())
}

pub fn set_winsize(fd: RawFd, rows: u16, cols: u16) {
    if rows == 0 || cols == 0 {
        return;
    }
    let ws = libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCSWINSZ with a valid winsize.
    unsafe { libc::ioctl(fd, libc::TIOCSWINSZ, &ws) };
}

pub fn get_winsize(fd: RawFd) -> Option<(u16, u16)> {
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    // SAFETY: TIOCGWINSZ fills a winsize.
    let rc = unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut ws) };
    (rc == 0).then_some((ws.ws_row, ws.ws_col))
}

pub fn is_tty(fd: RawFd) -> bool {
    // SAFETY: isatty on any fd.
    unsafe { libc::isatty(fd) == 1 }
}

/// Puts a terminal in raw mode (cfmakeraw) and gives back the old settings, so keys such
/// as Ctrl-C travel to the container's pty instead of signalling the client.
pub fn make_raw(fd: RawFd) -> io::Result<libc::termios> {
    let mut old: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: tcgetattr/tcsetattr with valid pointers.
    cvt(unsafe { libc::tcgetattr(fd, &mut old) })?;
    let mut raw = old;
    unsafe { libc::cfmakeraw(&mut raw) };
    cvt(unsafe { libc::tcsetattr(fd, libc::TCSANOW, &raw) })?;
    Ok(old)
}

pub fn restore(fd: RawFd, settings: &libc::termios) {
    // SAFETY: as above.
    unsafe { libc::tcsetattr(fd, libc::TCSANOW, settings) };
}

/// Sends one fd over a unix socket (SCM_RIGHTS, unix(7)).
pub fn send_fd(sock: RawFd, fd: RawFd) -> io::Result<()> {
    use nix::sys::socket::{ControlMessage, MsgFlags, sendmsg};
    let fds = [fd];
    let iov = [io::IoSlice::new(b"F")];
    sendmsg::<()>(
        sock,
        &iov,
        &[ControlMessage::ScmRights(&fds)],
        MsgFlags::empty(),
        None,
    )
    .map_err(io::Error::from)?;
    Ok(())
}

/// Receives one fd sent with `send_fd`; `None` if the peer closed without sending.
pub fn recv_fd(sock: RawFd) -> io::Result<Option<RawFd>> {
    use nix::sys::socket::{ControlMessageOwned, MsgFlags, recvmsg};
    let mut buf = [0u8; 1];
    let mut iov = [io::IoSliceMut::new(&mut buf)];
    let mut space = nix::cmsg_space!([RawFd; 1]);
    let msg = recvmsg::<()>(sock, &mut iov, Some(&mut space), MsgFlags::MSG_CMSG_CLOEXEC)
        .map_err(io::Error::from)?;
    for cmsg in msg.cmsgs().map_err(io::Error::from)? {
        if let ControlMessageOwned::ScmRights(fds) = cmsg {
            return Ok(fds.first().copied());
        }
    }
    Ok(None)
}
