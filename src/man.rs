//! `hostctl man`: one man page per command (hostctl(1), hostctl-run(1), hostctl-log-show(1),
//! ...), generated from the clap definitions `--help` uses, with each command's [`Guide`]:
//! its notes, EXAMPLES and EXIT STATUS (from the one table in `status.rs`).

use crate::cli::{Cli, Guide, guide};
use crate::status::Exit;
use clap::CommandFactory;
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, roman};
use std::path::{Path, PathBuf};

/// One rendered page.
pub struct Page {
    /// `hostctl-log-show`: the page's title, and its file name without `.1`.
    pub name: String,
    /// The roff source.
    pub roff: Vec<u8>,
}

impl Page {
    pub fn file_name(&self) -> String {
        format!("{}.1", self.name)
    }
}

/// Every page: hostctl(1) first, then each command's and each `log` subcommand's.
pub fn pages() -> Vec<Page> {
    // The help subcommand is `--help` again; it gets no page and no SEE ALSO entry.
    let mut root = Cli::command().disable_help_subcommand(true);
    root.build();
    let mut pages = Vec::new();
    collect(&root, "", &[], &mut pages);
    pages
}

/// hostctl(1), as `hostctl man` prints it.
pub fn top_page() -> Page {
    pages().swap_remove(0)
}

/// Writes every page into `dir` (created if missing) and returns the files written.
pub fn write_all(dir: &Path) -> Result<Vec<PathBuf>, std::io::Error> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for page in pages() {
        let path = dir.join(page.file_name());
        std::fs::write(&path, &page.roff)?;
        written.push(path);
    }
    Ok(written)
}

/// Renders `cmd` (reached by `path`, e.g. `log show`) and every subcommand below it. `parents`
/// are the page names above it, for SEE ALSO.
fn collect(cmd: &clap::Command, path: &str, parents: &[String], pages: &mut Vec<Page>) {
    let name = page_name(cmd);
    let children: Vec<&clap::Command> =
        cmd.get_subcommands().filter(|c| !c.is_hide_set()).collect();
    let child_names: Vec<String> = children.iter().map(|c| page_name(c)).collect();
    let mut see_also: Vec<String> = parents.to_vec();
    see_also.extend(child_names.iter().cloned());
    pages.push(Page {
        roff: render(cmd, guide(path), &see_also),
        name: name.clone(),
    });
    let mut above = parents.to_vec();
    above.push(name);
    for child in children {
        let child_path = match path {
            "" => child.get_name().to_string(),
            _ => format!("{path} {}", child.get_name()),
        };
        collect(child, &child_path, &above, pages);
    }
}

/// `hostctl-log-show`: what clap calls the command once built, and what its SUBCOMMANDS
/// section names it.
fn page_name(cmd: &clap::Command) -> String {
    cmd.get_display_name()
        .unwrap_or_else(|| cmd.get_name())
        .to_string()
}

fn render(cmd: &clap::Command, guide: Option<&Guide>, see_also: &[String]) -> Vec<u8> {
    // clap_mangen renders NAME, SYNOPSIS, DESCRIPTION, OPTIONS and SUBCOMMANDS; the guide's
    // notes join the description, and its examples and exit statuses get sections of their
    // own instead of the `--help` text clap_mangen would print under "EXTRA".
    let about = cmd
        .get_long_about()
        .or(cmd.get_about())
        .map(|a| a.to_string());
    let notes = guide.map_or(&[][..], |g| g.notes);
    let description: Vec<&str> = about
        .iter()
        .map(String::as_str)
        .chain(notes.iter().copied())
        .collect();
    // The synopsis is the usage line of `--help` (clap_mangen's own lists every flag and drops
    // the `...` of LOCAL...).
    let usage = cmd.clone().render_usage().to_string();
    let usage = usage.strip_prefix("Usage: ").unwrap_or(&usage).to_string();
    let page = cmd
        .clone()
        .override_usage(usage)
        .long_about(description.join("\n\n"))
        .after_help(None::<&str>)
        .after_long_help(None::<&str>)
        .version(None::<&str>);
    let mut out = Vec::new();
    Man::new(page)
        .source(format!("hostctl {}", env!("CARGO_PKG_VERSION")))
        .manual("hostctl manual")
        .render(&mut out)
        .expect("rendering into memory cannot fail");

    let mut roff = Roff::default();
    if let Some(guide) = guide {
        roff.control("SH", ["EXAMPLES"]);
        for (command, what) in guide.examples {
            roff.control("TP", []);
            roff.text([bold(*command)]);
            roff.text([roman(*what)]);
        }
    }
    roff.control("SH", ["EXIT STATUS"]);
    let exits = guide.map_or(&Exit::ALL[..], |g| g.exits);
    for (code, meaning) in Exit::rows(exits) {
        roff.control("TP", []);
        roff.text([bold(code.to_string())]);
        roff.text([roman(meaning)]);
    }
    if !see_also.is_empty() {
        roff.control("SH", ["SEE ALSO"]);
        // Page names are not words: no hyphenation, no stretched spaces between them.
        roff.control("ad", ["l"]);
        roff.control("nh", []);
        let mut line = Vec::new();
        for (i, name) in see_also.iter().enumerate() {
            if i > 0 {
                line.push(roman(", "));
            }
            line.push(bold(name.as_str()));
            line.push(roman("(1)"));
        }
        roff.text(line);
    }
    // Every render starts with the same preamble (how to print apostrophes); once is enough.
    let preamble = Roff::default().render();
    let sections = roff.render();
    out.extend_from_slice(
        sections
            .strip_prefix(&preamble)
            .unwrap_or(&sections)
            .as_bytes(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_has_a_page_with_examples_and_exit_status() {
        let pages = pages();
        let names: Vec<&str> = pages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "hostctl",
                "hostctl-hosts",
                "hostctl-run",
                "hostctl-push",
                "hostctl-pull",
                "hostctl-log",
                "hostctl-log-list",
                "hostctl-log-show",
                "hostctl-log-verify",
                "hostctl-log-seal",
                "hostctl-log-seal-init",
                "hostctl-log-forward",
                "hostctl-log-prune",
                "hostctl-log-report",
                "hostctl-log-diff",
                "hostctl-completions",
                "hostctl-man",
            ]
        );
        for page in &pages {
            let text = String::from_utf8(page.roff.clone()).unwrap();
            assert!(text.contains(&format!("\n.TH {} 1 ", page.name)), "{text}");
            for section in [".SH EXAMPLES", ".SH \"EXIT STATUS\"", ".SH \"SEE ALSO\""] {
                assert!(text.contains(section), "{} has no {section}", page.name);
            }
            assert!(!text.contains(".SH EXTRA"), "{}", page.name);
        }
    }
}
