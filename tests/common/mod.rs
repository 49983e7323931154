//! The harness every integration test uses: a temporary folder holding copies
//! of fixtures, and the real `pipe` binary run inside it with a fixed today,
//! recording time, user and terminal width, so that output is reproducible.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const TODAY: &str = "2026-11-27";
pub const NOW: &str = "2026-11-27T10:00:00+01:00";

pub struct Sandbox {
    dir: tempfile::TempDir,
}

/// What a run of `pipe` showed.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Asserts the exit code, showing both streams when it differs.
    pub fn expect(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().expect("a temporary folder"),
        }
    }

    /// A sandbox holding the shipped example: `pipeline.toml` and `examples/`.
    pub fn example() -> Sandbox {
        let s = Sandbox::new();
        s.copy(&root().join("pipeline.toml"), "pipeline.toml");
        for entry in std::fs::read_dir(root().join("examples")).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_file() {
                s.copy(
                    &entry.path(),
                    &format!("examples/{}", entry.file_name().to_string_lossy()),
                );
            }
        }
        s
    }

    /// A sandbox holding the files of `tests/fixtures/NAME/`.
    pub fn fixture(name: &str) -> Sandbox {
        let s = Sandbox::new();
        let src = root().join("tests/fixtures").join(name);
        copy_tree(&src, s.dir.path());
        s
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn copy(&self, from: &Path, rel: &str) {
        let to = self.path(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap();
    }

    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) {
        let to = self.path(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(to, contents).unwrap();
    }

    pub fn read(&self, rel: &str) -> Vec<u8> {
        std::fs::read(self.path(rel)).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"))
    }

    pub fn read_string(&self, rel: &str) -> String {
        String::from_utf8(self.read(rel)).unwrap()
    }

    /// `pipe` with the sandbox's environment, not yet run; `--today` is not added.
    pub fn command(&self) -> Command {
        let mut c = pipe_in(self.dir.path());
        c.env("PIPE_LOCK_TIMEOUT", "5").env_remove("USER");
        c
    }

    /// Runs `pipe --today 2026-11-27 ARGS…`.
    pub fn pipe(&self, args: &[&str]) -> Run {
        let out = self
            .command()
            .arg("--today")
            .arg(TODAY)
            .args(args)
            .output()
            .expect("pipe runs");
        Run::from(out)
    }

    /// Runs `pipe ARGS…` exactly as given.
    pub fn pipe_raw(&self, args: &[&str]) -> Run {
        Run::from(self.command().args(args).output().expect("pipe runs"))
    }
}

/// The real binary, to run in `dir` with what makes its output reproducible:
/// a fixed recording time and user, no colour, a 100-column terminal, and
/// none of the `PIPE_*` settings of the environment the tests run in.
pub fn pipe_in(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pipe"));
    c.current_dir(dir)
        .env("PIPE_NOW", NOW)
        .env("PIPE_USER", "test")
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .env_remove("PIPE_CONFIG")
        .env_remove("PIPE_TODAY")
        .env_remove("PIPE_THREADS")
        .env_remove("PIPE_CACHE")
        .env_remove("PIPE_HISTORY")
        .env_remove("PIPE_LOCK_TIMEOUT");
    c
}

/// Copies a folder and everything under it.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
