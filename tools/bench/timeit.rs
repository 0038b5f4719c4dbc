//! Runs one command and prints `WALL_SECONDS PEAK_RSS_KB` for it (the benchmark's clock).
//!
//! Usage: `timeit OUTFILE ERRFILE CMD [ARG...]`
//!
//! The child's stdout goes to OUTFILE (truncated) and its stderr is appended to ERRFILE,
//! both opened before the clock starts. Wall time runs from just before the spawn to the
//! end of `wait4`, whose rusage gives the child's peak RSS. Timing around the spawn
//! (rather than wrapping the command in GNU time, whose own start-up would be counted and
//! which rounds to 10 ms) keeps commands of a few milliseconds comparable; the spawning
//! process is small, so the peak RSS it passes on before `exec` is too.
//! Exits with the child's status (128 + signal if it was killed).

use std::fs::{File, OpenOptions};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitCode, ExitStatus};
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out, err, cmd, rest @ ..] = args.as_slice() else {
        eprintln!("usage: timeit OUTFILE ERRFILE CMD [ARG...]");
        return ExitCode::from(2);
    };
    let open = || -> std::io::Result<(File, File)> {
        let stdout = File::create(out)?;
        let stderr = OpenOptions::new().create(true).append(true).open(err)?;
        Ok((stdout, stderr))
    };
    let (stdout, stderr) = match open() {
        Ok(files) => files,
        Err(e) => {
            eprintln!("timeit: {e}");
            return ExitCode::from(2);
        }
    };
    let start = Instant::now();
    let child = match Command::new(cmd)
        .args(rest)
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
    {
        Ok(child) => child,
        Err(e) => {
            eprintln!("timeit: {cmd}: {e}");
            return ExitCode::from(127);
        }
    };
    let mut status = 0;
    // SAFETY: rusage is plain data that wait4 fills in; the pid is our own child's.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    // SAFETY: status and usage are valid for writes for the duration of the call.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed().as_secs_f64();
    if r != pid {
        eprintln!("timeit: wait4: {}", std::io::Error::last_os_error());
        return ExitCode::from(2);
    }
    println!("{wall:.6} {}", usage.ru_maxrss);
    let status = ExitStatus::from_raw(status);
    let code = status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
