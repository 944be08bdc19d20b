//! Where a resource is written: from a Terraform resource address to the
//! `.tf` file and line of its `resource "TYPE" "NAME"` block, so that SARIF
//! results point at the configuration a reviewer edits.
//!
//! The caller reads the files (the library touches no file system); this
//! module scans their text. Module addresses are followed through the
//! `module "NAME"` blocks whose `source` is a local path (`./modules/net`);
//! when a module's source is not local, or the block is not found, the
//! first file (in path order) that declares a block of the same type and
//! name is used. The scan is line based: a block header must start its own
//! line, as `terraform fmt` writes it.

use foldhash::HashMap;

/// One configuration file: its path as reports should show it (relative to
/// the repository, `/`-separated) and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
}

#[derive(Debug)]
struct Block {
    dir: String,
    data: bool,
    rtype: String,
    name: String,
    path: String,
    line: usize,
}

/// An index of the resource and module blocks of a configuration.
#[derive(Debug, Default)]
pub struct Locator {
    root: String,
    blocks: Vec<Block>,
    /// (directory, module name) -> the module's directory.
    modules: HashMap<(String, String), String>,
}

/// `a/./b/../c` -> `a/c`; a leading `./` and empty segments go away.
pub fn normalize(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if matches!(out.last(), Some(s) if *s != "..") {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            s => out.push(s),
        }
    }
    let joined = out.join("/");
    if path.starts_with('/') {
        format!("/{joined}")
    } else {
        joined
    }
}

fn parent(path: &str) -> &str {
    path.rfind('/').map(|i| &path[..i]).unwrap_or("")
}

fn join(dir: &str, rel: &str) -> String {
    if dir.is_empty() {
        normalize(rel)
    } else {
        normalize(&format!("{dir}/{rel}"))
    }
}

/// A quoted string at the start of `s` (after blanks): its content and the
/// rest of the line.
fn quoted(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_start().strip_prefix('"')?;
    let end = s.find('"')?;
    Some((&s[..end], &s[end + 1..]))
}

/// `KEYWORD "a" "b"` or `KEYWORD "a"` at the start of a line.
fn header<'a>(line: &'a str, keyword: &str) -> Option<(&'a str, Option<&'a str>)> {
    let rest = line.strip_prefix(keyword)?;
    if !rest.starts_with([' ', '\t', '"']) {
        return None;
    }
    let (a, rest) = quoted(rest)?;
    Some((a, quoted(rest).map(|(b, _)| b)))
}

impl Locator {
    /// Indexes `files`; `root` is the configuration directory (the root
    /// module), written the way the files' paths start.
    pub fn new(root: &str, files: &[SourceFile]) -> Locator {
        let mut loc = Locator {
            root: normalize(root),
            ..Locator::default()
        };
        let mut files: Vec<&SourceFile> = files.iter().collect();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        for f in files {
            let path = normalize(&f.path);
            let dir = parent(&path).to_string();
            let mut in_module: Option<String> = None;
            for (n, raw) in f.text.lines().enumerate() {
                let line = raw.trim_start();
                let top = raw.len() == line.len();
                if top && (line.starts_with('}') || line.is_empty()) && in_module.is_some() {
                    if line.starts_with('}') {
                        in_module = None;
                    }
                    continue;
                }
                for (kw, data) in [("resource", false), ("data", true)] {
                    if let Some((t, Some(name))) = header(line, kw) {
                        loc.blocks.push(Block {
                            dir: dir.clone(),
                            data,
                            rtype: t.to_string(),
                            name: name.to_string(),
                            path: path.clone(),
                            line: n + 1,
                        });
                    }
                }
                if let Some((name, None)) = header(line, "module") {
                    in_module = Some(name.to_string());
                    continue;
                }
                if let Some(m) = &in_module {
                    if let Some(rest) = line.strip_prefix("source") {
                        let rest = rest.trim_start();
                        if let Some(rest) = rest.strip_prefix('=') {
                            if let Some((src, _)) = quoted(rest) {
                                if src.starts_with("./") || src.starts_with("../") {
                                    loc.modules
                                        .insert((dir.clone(), m.clone()), join(&dir, src));
                                }
                                in_module = None;
                            }
                        }
                    }
                }
            }
        }
        loc
    }

    /// The file and 1-based line of the block that declares `address`
    /// (`module.net["a"].aws_route_table.private[0]`,
    /// `data.aws_vpc.shared`, or a report name such as
    /// `aws_vpc.prod (main route table)`).
    pub fn locate(&self, address: &str) -> Option<(&str, usize)> {
        let names = address_names(address);
        let mut i = 0;
        let mut dir = Some(self.root.clone());
        while i + 1 < names.len() && names[i] == "module" {
            dir = dir.and_then(|d| self.modules.get(&(d, names[i + 1].clone())).cloned());
            i += 2;
        }
        let rest = &names[i..];
        let (data, rtype, name) = match rest {
            [d, t, n] if d == "data" => (true, t, n),
            [t, n] => (false, t, n),
            _ => return None,
        };
        let same = |b: &&Block| b.data == data && &b.rtype == rtype && &b.name == name;
        let found = dir
            .and_then(|d| self.blocks.iter().filter(same).find(|b| b.dir == d))
            .or_else(|| self.blocks.iter().find(same))?;
        Some((found.path.as_str(), found.line))
    }
}

/// One input document as reports point at it: its label (empty with one
/// document), the file it was read from (`-` for standard input), and
/// the index of its configuration when that was given (`--config-dir`).
#[derive(Debug)]
pub struct Source {
    pub label: String,
    pub file: String,
    pub locator: Option<Locator>,
}

/// Where the resources of the input are: in which document, and, for a
/// document whose configuration was given, at which `.tf` line. With
/// several documents a resource's address starts with its document's
/// label (`network:aws_vpc.hub`).
#[derive(Debug, Default)]
pub struct Sources {
    docs: Vec<Source>,
}

impl Sources {
    pub fn new(docs: Vec<Source>) -> Sources {
        Sources { docs }
    }

    /// The document a resource (as reports name it) belongs to, and its
    /// address within that document.
    fn document_of<'r>(&self, resource: &'r str) -> Option<(&Source, &'r str)> {
        match &self.docs[..] {
            [one] => Some((one, resource)),
            docs => docs.iter().find_map(|d| {
                resource
                    .strip_prefix(d.label.as_str())
                    .and_then(|r| r.strip_prefix(':'))
                    .map(|r| (d, r))
            }),
        }
    }

    /// The `.tf` file and line that declare a resource, when its
    /// document's configuration was given.
    pub fn declaration(&self, resource: &str) -> Option<(&str, usize)> {
        let (doc, address) = self.document_of(resource)?;
        doc.locator.as_ref()?.locate(address)
    }

    /// The file the resource's document was read from (`None` for
    /// standard input).
    pub fn document_file(&self, resource: &str) -> Option<&str> {
        let (doc, _) = self.document_of(resource)?;
        Some(doc.file.as_str()).filter(|f| *f != "-")
    }

    /// The file of the only document (`None` with several, or for standard
    /// input).
    pub fn only_file(&self) -> Option<&str> {
        match &self.docs[..] {
            [one] => Some(one.file.as_str()).filter(|f| *f != "-"),
            _ => None,
        }
    }

    /// Every document's file, for a report that names its input:
    /// `network.json, spoke.json`.
    pub fn files(&self) -> String {
        let files: Vec<&str> = self.docs.iter().map(|d| d.file.as_str()).collect();
        files.join(", ")
    }
}

/// The name segments of an address, without instance keys and without a
/// trailing description: `module.a["x.y"].aws_s.n[0]` ->
/// `[module, a, aws_s, n]`.
fn address_names(address: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = address.chars();
    while let Some(c) = chars.next() {
        match c {
            '.' => out.push(std::mem::take(&mut cur)),
            '[' => {
                // Skip the key, which may hold dots, brackets or quotes.
                let mut in_str = false;
                let mut esc = false;
                for k in chars.by_ref() {
                    if in_str {
                        if esc {
                            esc = false;
                        } else if k == '\\' {
                            esc = true;
                        } else if k == '"' {
                            in_str = false;
                        }
                    } else if k == '"' {
                        in_str = true;
                    } else if k == ']' {
                        break;
                    }
                }
            }
            ' ' => break,
            c => cur.push(c),
        }
    }
    out.push(cur);
    out.retain(|s| !s.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> Vec<SourceFile> {
        vec![
            SourceFile {
                path: "infra/main.tf".into(),
                text: r#"
module "net" {
  for_each = toset(["prod", "stage"])
  source   = "./modules/net"
}

module "remote" {
  source = "terraform-aws-modules/vpc/aws"
}

resource "aws_vpc" "prod" {
  cidr_block = "10.0.0.0/16"
}

data "aws_vpc" "shared" {
  id = "vpc-1"
}
"#
                .into(),
            },
            SourceFile {
                path: "infra/modules/net/main.tf".into(),
                text:
                    "variable \"x\" {}\n\nresource \"aws_subnet\" \"private\" {\n  count = 2\n}\n"
                        .into(),
            },
            SourceFile {
                path: "infra/other/main.tf".into(),
                text: "resource \"aws_subnet\" \"private\" {\n}\n".into(),
            },
        ]
    }

    #[test]
    fn root_and_module_resources_are_found() {
        let loc = Locator::new("./infra", &files());
        assert_eq!(loc.locate("aws_vpc.prod"), Some(("infra/main.tf", 11)));
        assert_eq!(
            loc.locate("aws_vpc.prod (main route table)"),
            Some(("infra/main.tf", 11))
        );
        assert_eq!(
            loc.locate("data.aws_vpc.shared"),
            Some(("infra/main.tf", 15))
        );
        assert_eq!(
            loc.locate(r#"module.net["a.b]"].aws_subnet.private[1]"#),
            Some(("infra/modules/net/main.tf", 3))
        );
        assert_eq!(loc.locate("aws_subnet.nowhere"), None);
    }

    #[test]
    fn a_remote_module_falls_back_to_any_declaration() {
        let loc = Locator::new("infra", &files());
        assert_eq!(
            loc.locate("module.remote.aws_subnet.private[0]"),
            Some(("infra/modules/net/main.tf", 3))
        );
    }

    #[test]
    fn an_estates_resources_are_found_in_their_own_documents_configuration() {
        let sources = Sources::new(vec![
            Source {
                label: "net".into(),
                file: "net.json".into(),
                locator: Some(Locator::new("infra", &files())),
            },
            Source {
                label: "app".into(),
                file: "app.json".into(),
                locator: None,
            },
        ]);
        assert_eq!(
            sources.declaration("net:aws_vpc.prod"),
            Locator::new("infra", &files()).locate("aws_vpc.prod")
        );
        assert!(sources.declaration("net:aws_vpc.prod").is_some());
        // No configuration for app: its document, never another's .tf.
        assert_eq!(sources.declaration("app:aws_vpc.prod"), None);
        assert_eq!(sources.document_file("app:aws_vpc.prod"), Some("app.json"));
        assert_eq!(sources.document_file("other:aws_vpc.prod"), None);
        assert_eq!(sources.only_file(), None);
        assert_eq!(sources.files(), "net.json, app.json");
    }

    #[test]
    fn paths_are_normalised() {
        assert_eq!(normalize("./a/b/../c/"), "a/c");
        assert_eq!(normalize("../x"), "../x");
        assert_eq!(normalize("."), "");
        assert_eq!(join("infra", "./modules/net"), "infra/modules/net");
    }
}
