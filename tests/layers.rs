//! The library's layering, checked from its sources.
//!
//! Every library file under `src/` (the command is its own crate, in `cli/`) is parsed
//! with `syn`, starting at `src/lib.rs` and following `mod` declarations the way the
//! compiler does (`a/b.rs` or `a/b/mod.rs`, and `#[path]`). Each path a module uses
//! that leads into the crate is resolved to the file that *defines* what it names,
//! following `use` imports and re-exports on the way: `crate::`, `super::` and
//! `self::` paths, paths that start with a child module or an imported name, and
//! imported names used alone, in `use` trees (nested groups, renames, globs) and in
//! code (types, expressions, patterns, macro arguments). Doc comments are not code and
//! are not read.
//!
//! Two rules:
//!
//! 1. **Layers**: a module imports only from its own layer and the layers below it in
//!    [`LAYERS`]. Every path counts, re-exports included; both the layer a path is
//!    written through and the layer that defines what it names must be at or below
//!    the module's own.
//! 2. **No cycles**: no file module depends on itself through other file modules.
//!    Here a module depends on what its code uses and what it imports privately; a
//!    `pub` or `pub(..)` `use` is a re-export, a dependency only if the module's own
//!    code uses the name too. Paths are followed to the defining file, so whoever
//!    uses a re-exported item depends on the file that defines it, not on the
//!    re-exporting one.
//!
//! What is exempt, and why:
//!
//! - `src/lib.rs`: the crate root only re-exports; paths through its re-exports
//!   (`crate::Error`) are followed to the module that defines the item.
//! - `#[cfg(test)]` items and modules (unit tests and their helpers, such as
//!   `export::markdown::forgery`, which includes `tests/common/outline.rs`): they are
//!   not part of the library anyone links, and nothing in it can depend on them.
//! - Declaring `mod child` is not a dependency on the child; using it is.
//! - `pub(in path)` visibilities name an ancestor, not a dependency.
//!
//! One narrow allowance, for the usual shape of a folder module: the parent (`mod.rs`)
//! uses a child's items and the child uses the parent's shared ones by `super::`. A
//! parent and its own child that use each other are not reported, nor is a parent
//! that does so with several children. Every other cycle is, with each edge that
//! closes it: one from a child through its parent to a sibling and back
//! (`a -> parent -> b -> a`), or through modules further apart.
//!
//! Run with `cargo test --test layers`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Component, Path, PathBuf};

use proc_macro2::{TokenStream, TokenTree};
use syn::punctuated::Punctuated;
use syn::visit::{self, Visit};
use syn::{Attribute, Expr, ImplItem, Item, Meta, Token, UseTree};

/// The layers, from the bottom up. This must match the order named in `src/lib.rs`
/// above its `mod` declarations (rustfmt sorts the declarations themselves). That
/// these are exactly its top-level modules is checked below; their order only here.
const LAYERS: &[&str] = &[
    "base", "crypto", "store", "audit", "model", "rules", "error", "export", "fhir", "vault",
];

/// A module's path from the crate root (`[]` is the root, `["vault", "session"]` is
/// `crate::vault::session`).
type ModPath = Vec<String>;

fn show(module: &[String]) -> String {
    if module.is_empty() {
        "crate".to_owned()
    } else {
        module.join("::")
    }
}

/// What one module declares: the names a path can continue through.
#[derive(Default)]
struct Module {
    /// The module that owns the file this one is written in (itself, unless inline).
    file_module: ModPath,
    /// `mod` declarations, out of line or inline.
    children: BTreeSet<String>,
    /// Items defined here: types, functions, constants, traits, macros.
    items: BTreeSet<String>,
    /// `use` imports: the name brought in, and the path as written.
    imports: BTreeMap<String, Vec<String>>,
    /// `use path::*` imports, as written.
    globs: Vec<Vec<String>>,
}

/// One file module and its parsed source.
struct Source {
    module: ModPath,
    file: PathBuf,
    ast: syn::File,
}

/// The library as parsed: its modules and files.
struct Library {
    modules: BTreeMap<ModPath, Module>,
    sources: Vec<Source>,
    /// Files reached only by `#[cfg(test)]` modules: not checked.
    test_only_files: BTreeSet<PathBuf>,
}

/// Whether `#[cfg(test)]` (or `#[cfg(all(test, ..))]`) is among the attributes.
fn test_only(attrs: &[Attribute]) -> bool {
    fn is_test(meta: &Meta) -> bool {
        match meta {
            Meta::Path(p) => p.is_ident("test"),
            Meta::List(list) if list.path.is_ident("all") => list
                .parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)
                .is_ok_and(|all| all.iter().any(is_test)),
            _ => false,
        }
    }
    attrs
        .iter()
        .filter(|a| a.path().is_ident("cfg"))
        .any(|a| a.parse_args::<Meta>().is_ok_and(|m| is_test(&m)))
}

fn path_attr(attrs: &[Attribute]) -> Option<String> {
    attrs.iter().find_map(|a| match &a.meta {
        Meta::NameValue(nv) if nv.path.is_ident("path") => match &nv.value {
            Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    })
}

fn item_attrs(item: &Item) -> &[Attribute] {
    match item {
        Item::Const(i) => &i.attrs,
        Item::Enum(i) => &i.attrs,
        Item::ExternCrate(i) => &i.attrs,
        Item::Fn(i) => &i.attrs,
        Item::ForeignMod(i) => &i.attrs,
        Item::Impl(i) => &i.attrs,
        Item::Macro(i) => &i.attrs,
        Item::Mod(i) => &i.attrs,
        Item::Static(i) => &i.attrs,
        Item::Struct(i) => &i.attrs,
        Item::Trait(i) => &i.attrs,
        Item::TraitAlias(i) => &i.attrs,
        Item::Type(i) => &i.attrs,
        Item::Union(i) => &i.attrs,
        Item::Use(i) => &i.attrs,
        _ => &[],
    }
}

/// `a/./b/../c` as `a/c`, without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// One leaf of a `use` tree: the path it imports and the name it binds (`None` for a
/// glob, `_` for `as _`).
struct UseLeaf {
    path: Vec<String>,
    name: Option<String>,
    line: usize,
}

fn use_leaves(tree: &UseTree, prefix: &mut Vec<String>, out: &mut Vec<UseLeaf>) {
    match tree {
        UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            use_leaves(&p.tree, prefix, out);
            prefix.pop();
        }
        UseTree::Name(n) => {
            let (path, name) = if n.ident == "self" {
                (prefix.clone(), prefix.last().cloned())
            } else {
                let mut path = prefix.clone();
                path.push(n.ident.to_string());
                (path, Some(n.ident.to_string()))
            };
            let line = n.ident.span().start().line;
            out.push(UseLeaf { path, name, line });
        }
        UseTree::Rename(r) => {
            let mut path = prefix.clone();
            if r.ident != "self" {
                path.push(r.ident.to_string());
            }
            let line = r.ident.span().start().line;
            let name = Some(r.rename.to_string());
            out.push(UseLeaf { path, name, line });
        }
        UseTree::Glob(g) => {
            let line = g.star_token.spans[0].start().line;
            let path = prefix.clone();
            out.push(UseLeaf {
                path,
                name: None,
                line,
            });
        }
        UseTree::Group(g) => {
            for t in &g.items {
                use_leaves(t, prefix, out);
            }
        }
    }
}

/// Reads the library from `read`, which maps a path such as `src/lib.rs` to its text.
fn load(read: &dyn Fn(&Path) -> Option<String>) -> Result<Library, String> {
    let mut lib = Library {
        modules: BTreeMap::new(),
        sources: Vec::new(),
        test_only_files: BTreeSet::new(),
    };
    load_file(&mut lib, read, Path::new("src/lib.rs"), Vec::new(), true)?;
    Ok(lib)
}

/// Parses one file module. `mod_rs` says whether its children sit beside it (the
/// crate root, `mod.rs`, a `#[path]` file) or in a folder named after it.
fn load_file(
    lib: &mut Library,
    read: &dyn Fn(&Path) -> Option<String>,
    file: &Path,
    module: ModPath,
    mod_rs: bool,
) -> Result<(), String> {
    let text = read(file).ok_or_else(|| {
        format!(
            "{}: module `{}` is declared but its file is not a library file under src/",
            file.display(),
            show(&module)
        )
    })?;
    let ast = syn::parse_file(&text).map_err(|e| format!("{}: {e}", file.display()))?;
    let dir = file.parent().unwrap_or(Path::new("")).to_path_buf();
    let child_dir = if mod_rs {
        dir.clone()
    } else {
        let stem = file.file_stem().expect("a module file has a name");
        dir.join(stem)
    };
    let dirs = Dirs {
        path_base: &dir,
        child_dir: &child_dir,
    };
    register(lib, read, &ast.items, &module, &module, dirs)?;
    lib.sources.push(Source {
        module,
        file: file.to_path_buf(),
        ast,
    });
    Ok(())
}

/// Where the modules declared in a block of items live.
#[derive(Clone, Copy)]
struct Dirs<'a> {
    /// What a `#[path]` attribute is relative to.
    path_base: &'a Path,
    /// Where `mod x;` looks for `x.rs` or `x/mod.rs`.
    child_dir: &'a Path,
}

fn register(
    lib: &mut Library,
    read: &dyn Fn(&Path) -> Option<String>,
    items: &[Item],
    module: &ModPath,
    file_module: &ModPath,
    dirs: Dirs<'_>,
) -> Result<(), String> {
    let mut this = Module {
        file_module: file_module.clone(),
        ..Module::default()
    };
    let mut nested = Vec::new();
    for item in items {
        if test_only(item_attrs(item)) {
            if let Item::Mod(m) = item
                && m.content.is_none()
            {
                let file = child_file(read, dirs, &m.ident.to_string(), path_attr(&m.attrs));
                lib.test_only_files.insert(file);
            }
            continue;
        }
        let name = match item {
            Item::Mod(m) => {
                this.children.insert(m.ident.to_string());
                nested.push(m);
                continue;
            }
            Item::Use(u) => {
                if u.leading_colon.is_none() {
                    let mut leaves = Vec::new();
                    use_leaves(&u.tree, &mut Vec::new(), &mut leaves);
                    for leaf in leaves {
                        match leaf.name {
                            None => this.globs.push(leaf.path),
                            Some(name) if name != "_" => {
                                this.imports.insert(name, leaf.path);
                            }
                            Some(_) => {}
                        }
                    }
                }
                continue;
            }
            Item::Const(i) => &i.ident,
            Item::Enum(i) => &i.ident,
            Item::ExternCrate(i) => i.rename.as_ref().map_or(&i.ident, |(_, r)| r),
            Item::Fn(i) => &i.sig.ident,
            Item::Macro(i) => match &i.ident {
                Some(ident) => ident,
                None => continue,
            },
            Item::Static(i) => &i.ident,
            Item::Struct(i) => &i.ident,
            Item::Trait(i) => &i.ident,
            Item::TraitAlias(i) => &i.ident,
            Item::Type(i) => &i.ident,
            Item::Union(i) => &i.ident,
            _ => continue,
        };
        this.items.insert(name.to_string());
    }
    lib.modules.insert(module.clone(), this);

    for m in nested {
        let name = m.ident.to_string();
        let mut child = module.clone();
        child.push(name.clone());
        match &m.content {
            Some((_, items)) => {
                let inner = match path_attr(&m.attrs) {
                    Some(p) => dirs.path_base.join(p),
                    None => dirs.child_dir.join(&name),
                };
                let inner_dirs = Dirs {
                    path_base: &inner,
                    child_dir: &inner,
                };
                register(lib, read, items, &child, file_module, inner_dirs)?;
            }
            None => {
                let by_attr = path_attr(&m.attrs);
                let mod_rs = by_attr.is_some();
                let file = child_file(read, dirs, &name, by_attr);
                let mod_rs = mod_rs || file.ends_with("mod.rs");
                load_file(lib, read, &file, child, mod_rs)?;
            }
        }
    }
    Ok(())
}

/// The file an out-of-line `mod name;` loads.
fn child_file(
    read: &dyn Fn(&Path) -> Option<String>,
    dirs: Dirs<'_>,
    name: &str,
    by_attr: Option<String>,
) -> PathBuf {
    if let Some(p) = by_attr {
        return normalize(&dirs.path_base.join(p));
    }
    let flat = dirs.child_dir.join(format!("{name}.rs"));
    if read(&flat).is_some() {
        flat
    } else {
        dirs.child_dir.join(name).join("mod.rs")
    }
}

/// What a path inside the crate names.
enum Resolved {
    /// A module.
    Module(ModPath),
    /// An item defined in this module.
    Item(ModPath),
    /// A name the checker could not find in this module (an item made by a macro):
    /// counted as a use of the module, the closest it knows.
    Unknown(ModPath),
    /// Something from another crate, imported here.
    Outside,
}

impl Resolved {
    fn module(&self) -> Option<&ModPath> {
        match self {
            Resolved::Module(m) | Resolved::Item(m) | Resolved::Unknown(m) => Some(m),
            Resolved::Outside => None,
        }
    }
}

impl Library {
    /// `path` as written in `scope`, from the crate root; `None` when it leads outside
    /// the crate (another crate, `std`, a generic parameter, a local).
    fn absolute(&self, scope: &[String], path: &[String]) -> Option<ModPath> {
        let mut out = scope.to_vec();
        let mut rest = path;
        match path.first().map(String::as_str) {
            Some("crate") => {
                out.clear();
                rest = &path[1..];
            }
            Some("self" | "super") => {
                while let Some(first) = rest.first() {
                    match first.as_str() {
                        "self" => {}
                        "super" => {
                            out.pop()?;
                        }
                        _ => break,
                    }
                    rest = &rest[1..];
                }
            }
            Some(first) => {
                let here = self.modules.get(scope)?;
                let known = here.children.contains(first)
                    || here.imports.contains_key(first)
                    || here.items.contains(first);
                if !known {
                    return None;
                }
            }
            None => return None,
        }
        out.extend(rest.iter().cloned());
        Some(out)
    }

    /// What an absolute path names, following imports and re-exports to the module
    /// that defines it.
    fn resolve(&self, path: &[String], depth: usize) -> Resolved {
        let mut at: ModPath = Vec::new();
        for (i, segment) in path.iter().enumerate() {
            let Some(here) = self.modules.get(&at) else {
                return Resolved::Unknown(at);
            };
            if depth > 32 {
                return Resolved::Unknown(at);
            }
            if here.children.contains(segment) {
                at.push(segment.clone());
                continue;
            }
            if here.items.contains(segment) {
                return Resolved::Item(at);
            }
            if let Some(import) = here.imports.get(segment) {
                match self
                    .absolute(&at, import)
                    .map(|to| self.resolve(&to, depth + 1))
                {
                    Some(Resolved::Module(m)) => {
                        at = m;
                        continue;
                    }
                    Some(item) => return item,
                    None => return Resolved::Outside,
                }
            }
            for glob in &here.globs {
                let Some(from) = self.absolute(&at, glob) else {
                    continue;
                };
                let Resolved::Module(from) = self.resolve(&from, depth + 1) else {
                    continue;
                };
                let Some(there) = self.modules.get(&from) else {
                    continue;
                };
                if there.children.contains(segment)
                    || there.items.contains(segment)
                    || there.imports.contains_key(segment)
                {
                    let mut next = from;
                    next.extend(path[i..].iter().cloned());
                    return self.resolve(&next, depth + 1);
                }
            }
            return Resolved::Unknown(at);
        }
        Resolved::Module(at)
    }
}

/// One path from one file module into the crate.
struct Use {
    file: PathBuf,
    line: usize,
    /// The path as written.
    written: String,
    /// The file module it is written in.
    from: ModPath,
    /// The top-level module the path is written through, when it is not the root's
    /// re-exports.
    through: Option<String>,
    /// The file module that defines what it names.
    to: ModPath,
    /// Whether it is a `pub` or `pub(..)` `use`: a re-export, which the module's own
    /// code does not need unless it uses the name too.
    reexport: bool,
}

struct Collector<'a> {
    lib: &'a Library,
    file: &'a Path,
    file_module: &'a ModPath,
    scope: ModPath,
    uses: Vec<Use>,
}

impl Collector<'_> {
    fn record(&mut self, path: &[String], line: usize, reexport: bool) {
        let Some(absolute) = self.lib.absolute(&self.scope, path) else {
            return;
        };
        let resolved = self.lib.resolve(&absolute, 0);
        let Some(to) = resolved.module().and_then(|m| self.lib.modules.get(m)) else {
            return;
        };
        let through = absolute
            .first()
            .filter(|first| self.lib.modules.contains_key(std::slice::from_ref(*first)))
            .cloned();
        self.uses.push(Use {
            file: self.file.to_path_buf(),
            line,
            written: path.join("::"),
            from: self.file_module.clone(),
            through,
            to: to.file_module.clone(),
            reexport,
        });
    }

    /// Macro arguments are tokens to `syn`: read them as expressions when they are
    /// (`format!`, `assert_eq!`), and otherwise pick out the paths that start with
    /// `crate`, `super` or `self`.
    fn macro_tokens(&mut self, tokens: TokenStream) {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        let mut i = 0;
        while i < trees.len() {
            match &trees[i] {
                TokenTree::Group(group) => self.macro_tokens(group.stream()),
                TokenTree::Ident(first)
                    if ["crate", "super", "self"].contains(&&*first.to_string()) =>
                {
                    let mut path = vec![first.to_string()];
                    // `::` is two `:` tokens.
                    while let (
                        Some(TokenTree::Punct(a)),
                        Some(TokenTree::Punct(b)),
                        Some(TokenTree::Ident(next)),
                    ) = (trees.get(i + 1), trees.get(i + 2), trees.get(i + 3))
                    {
                        if a.as_char() != ':' || b.as_char() != ':' {
                            break;
                        }
                        path.push(next.to_string());
                        i += 3;
                    }
                    if path.len() > 1 {
                        self.record(&path, first.span().start().line, false);
                    }
                }
                _ => {}
            }
            i += 1;
        }
    }
}

impl<'ast> Visit<'ast> for Collector<'_> {
    fn visit_item(&mut self, item: &'ast Item) {
        if !test_only(item_attrs(item)) {
            visit::visit_item(self, item);
        }
    }

    fn visit_impl_item(&mut self, item: &'ast ImplItem) {
        let attrs: &[Attribute] = match item {
            ImplItem::Const(i) => &i.attrs,
            ImplItem::Fn(i) => &i.attrs,
            ImplItem::Type(i) => &i.attrs,
            ImplItem::Macro(i) => &i.attrs,
            _ => &[],
        };
        if !test_only(attrs) {
            visit::visit_impl_item(self, item);
        }
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        // Declaring a child is not using it; an out-of-line child is its own file.
        if let Some((_, items)) = &m.content {
            self.scope.push(m.ident.to_string());
            for item in items {
                self.visit_item(item);
            }
            self.scope.pop();
        }
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        if u.leading_colon.is_some() {
            return;
        }
        let reexport = !matches!(u.vis, syn::Visibility::Inherited);
        let mut leaves = Vec::new();
        use_leaves(&u.tree, &mut Vec::new(), &mut leaves);
        for leaf in leaves {
            self.record(&leaf.path, leaf.line, reexport);
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let words: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        // One word names something of the crate only through an import (a re-export
        // the module uses itself); other single words are locals, types, functions.
        // (A module inside a function body is not in the table: nothing resolves there.)
        let imported = || {
            let here = self.lib.modules.get(&self.scope);
            here.is_some_and(|m| m.imports.contains_key(&words[0]))
        };
        if path.leading_colon.is_none() && (words.len() > 1 || imported()) {
            let line = path.segments[0].ident.span().start().line;
            self.record(&words, line, false);
        }
        visit::visit_path(self, path);
    }

    fn visit_vis_restricted(&mut self, _: &'ast syn::VisRestricted) {}

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.visit_path(&mac.path);
        match mac.parse_body_with(Punctuated::<Expr, Token![,]>::parse_terminated) {
            Ok(args) => {
                for arg in &args {
                    self.visit_expr(arg);
                }
            }
            Err(_) => self.macro_tokens(mac.tokens.clone()),
        }
    }
}

fn layer_of(module: &[String]) -> Option<usize> {
    let first = module.first()?;
    LAYERS.iter().position(|l| l == first)
}

/// Tarjan's strongly connected components.
fn components(graph: &BTreeMap<ModPath, BTreeSet<ModPath>>) -> Vec<Vec<ModPath>> {
    #[derive(Default)]
    struct State<'a> {
        index: BTreeMap<&'a ModPath, usize>,
        low: BTreeMap<&'a ModPath, usize>,
        stack: Vec<&'a ModPath>,
        on_stack: BTreeSet<&'a ModPath>,
        found: Vec<Vec<ModPath>>,
    }
    fn visit<'a>(
        node: &'a ModPath,
        graph: &'a BTreeMap<ModPath, BTreeSet<ModPath>>,
        s: &mut State<'a>,
    ) {
        let n = s.index.len();
        s.index.insert(node, n);
        s.low.insert(node, n);
        s.stack.push(node);
        s.on_stack.insert(node);
        for next in graph.get(node).into_iter().flatten() {
            if !s.index.contains_key(next) {
                visit(next, graph, s);
                let low = s.low[node].min(s.low[next]);
                s.low.insert(node, low);
            } else if s.on_stack.contains(next) {
                let low = s.low[node].min(s.index[next]);
                s.low.insert(node, low);
            }
        }
        if s.low[node] == s.index[node] {
            let mut component = Vec::new();
            while let Some(top) = s.stack.pop() {
                s.on_stack.remove(top);
                component.push(top.clone());
                if top == node {
                    break;
                }
            }
            component.sort();
            s.found.push(component);
        }
    }
    let mut state = State::default();
    for node in graph.keys() {
        if !state.index.contains_key(node) {
            visit(node, graph, &mut state);
        }
    }
    state.found
}

/// Whether one module is the other's parent.
fn parent_and_child(a: &[String], b: &[String]) -> bool {
    let direct = |p: &[String], c: &[String]| c.len() == p.len() + 1 && c.starts_with(p);
    direct(a, b) || direct(b, a)
}

/// Every layering and cycle problem of the library read through `read`, one message
/// each.
fn check(read: &dyn Fn(&Path) -> Option<String>) -> Result<Vec<String>, String> {
    let lib = load(read)?;
    let uses = collect(&lib);
    let mut problems = layer_problems(&uses);
    let modules = lib.sources.iter().map(|s| s.module.clone());
    problems.extend(cycle_problems(&uses, modules.filter(|m| !m.is_empty())));
    Ok(problems)
}

/// Every path into the crate that a file module but the root uses.
fn collect(lib: &Library) -> Vec<Use> {
    let mut uses = Vec::new();
    for source in lib.sources.iter().filter(|s| !s.module.is_empty()) {
        let mut collector = Collector {
            lib,
            file: &source.file,
            file_module: &source.module,
            scope: source.module.clone(),
            uses: Vec::new(),
        };
        collector.visit_file(&source.ast);
        uses.extend(collector.uses);
    }
    uses
}

fn layer_problems(uses: &[Use]) -> Vec<String> {
    let order = LAYERS.join(" < ");
    let mut problems = Vec::new();
    for u in uses {
        // A top-level module missing from LAYERS is reported by
        // `layers_are_the_top_level_modules_of_lib_rs`.
        let Some(from) = layer_of(&u.from) else {
            continue;
        };
        let through = u.through.as_deref().and_then(|t| layer_of(&[t.to_owned()]));
        let defined = layer_of(&u.to);
        if let Some(above) = [through, defined].into_iter().flatten().find(|&l| l > from) {
            problems.push(format!(
                "{}:{}: `{}` imports from layer `{}` (defined in {}) into layer `{}`: \
                 a layer imports only from itself and the layers below it ({order})",
                u.file.display(),
                u.line,
                u.written,
                LAYERS[above],
                show(&u.to),
                LAYERS[from],
            ));
        }
    }
    problems
}

fn cycle_problems(uses: &[Use], modules: impl Iterator<Item = ModPath>) -> Vec<String> {
    let mut graph: BTreeMap<ModPath, BTreeSet<ModPath>> =
        modules.map(|m| (m, BTreeSet::new())).collect();
    for u in uses.iter().filter(|u| !u.reexport) {
        if u.to != u.from && !u.to.is_empty() {
            graph
                .entry(u.from.clone())
                .or_default()
                .insert(u.to.clone());
        }
    }
    let edge = |from: &ModPath, to: &ModPath| {
        let u = uses
            .iter()
            .find(|u| !u.reexport && &u.from == from && &u.to == to)
            .expect("every edge comes from a use");
        format!(
            "\n  {} -> {}: {}:{} `{}`",
            show(from),
            show(to),
            u.file.display(),
            u.line,
            u.written
        )
    };
    let mut problems = Vec::new();
    let paired = |a: &ModPath, b: &ModPath| {
        parent_and_child(a, b) && graph[a].contains(b) && graph[b].contains(a)
    };
    for component in components(&graph) {
        // A module joined to the rest by one parent <-> child pair only is on no
        // other cycle: leave it out, until only modules on other cycles are left.
        let mut members: BTreeSet<&ModPath> = component.iter().collect();
        while let Some(leaf) = members.iter().copied().find(|&n| {
            let mut next = members
                .iter()
                .filter(|&&m| m != n && (graph[n].contains(m) || graph[m].contains(n)));
            matches!((next.next(), next.next()), (Some(m), None) if paired(n, m))
        }) {
            members.remove(leaf);
        }
        if members.len() < 2 {
            continue;
        }
        let inside = members
            .iter()
            .flat_map(|&from| graph[from].iter().map(move |to| (from, to)))
            .filter(|(_, to)| members.contains(to));
        // The allowance: an edge between a parent and its own child that has its
        // reverse.
        let (pairs, others): (Vec<_>, Vec<_>) = inside.partition(|&(from, to)| paired(from, to));
        let mut message = format!(
            "cycle between {} modules: {}: no module may depend on itself through others; \
             move what they share down into one of them or into a module they both use",
            members.len(),
            members
                .iter()
                .map(|m| show(m))
                .collect::<Vec<_>>()
                .join(", ")
        );
        for (from, to) in others {
            message.push_str(&edge(from, to));
        }
        if !pairs.is_empty() {
            message.push_str("\n  and between a parent and its own child (allowed alone):");
            for (from, to) in pairs {
                message.push_str(&edge(from, to));
            }
        }
        problems.push(message);
    }
    problems
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A library source file's text: only files under `src/`.
fn read_library(path: &Path) -> Option<String> {
    if !path.starts_with("src") {
        return None;
    }
    fs::read_to_string(root().join(path)).ok()
}

/// The library's source files: everything under `src/`.
fn library_files() -> BTreeSet<PathBuf> {
    fn walk(dir: &Path, out: &mut BTreeSet<PathBuf>) {
        for entry in fs::read_dir(root().join(dir)).expect("src/ is readable") {
            let name = entry.expect("src/ is readable").file_name();
            let path = dir.join(&name);
            if root().join(&path).is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.insert(path);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(Path::new("src"), &mut out);
    out
}

#[test]
fn each_layer_imports_only_from_below_and_no_modules_form_a_cycle() {
    let problems = check(&read_library).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        problems.is_empty(),
        "{} layering problem(s):\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}

#[test]
fn every_library_file_is_checked() {
    let files = library_files();
    let lib = load(&read_library).unwrap_or_else(|e| panic!("{e}"));
    let reached: BTreeSet<PathBuf> = lib
        .sources
        .iter()
        .map(|s| s.file.clone())
        .chain(lib.test_only_files.iter().cloned())
        .collect();
    let unreached: Vec<_> = files.difference(&reached).collect();
    assert!(
        unreached.is_empty(),
        "not reached from src/lib.rs by any `mod` declaration, so not checked: {unreached:?}"
    );
}

#[test]
fn layers_are_the_top_level_modules_of_lib_rs() {
    let lib = load(&read_library).unwrap_or_else(|e| panic!("{e}"));
    // The top-level modules with a file of their own (not the inline `internals`).
    let top: BTreeSet<&str> = lib
        .sources
        .iter()
        .filter(|s| s.module.len() == 1)
        .map(|s| s.module[0].as_str())
        .collect();
    let listed: BTreeSet<&str> = LAYERS.iter().copied().collect();
    assert_eq!(
        top, listed,
        "LAYERS in tests/layers.rs must list exactly the layers src/lib.rs declares"
    );
}

/// A library given as (path, text) pairs.
fn synthetic(files: &[(&str, &str)]) -> Result<Vec<String>, String> {
    let files: BTreeMap<PathBuf, String> = files
        .iter()
        .map(|(p, t)| (PathBuf::from(p), t.to_string()))
        .collect();
    check(&|path: &Path| files.get(path).cloned())
}

#[test]
fn the_check_reports_an_upward_import_and_a_cycle() {
    let problems = synthetic(&[
        ("src/lib.rs", "mod base; mod vault;"),
        (
            "src/base.rs",
            "pub struct Date; pub fn today() -> crate::vault::Session { todo!() }",
        ),
        (
            "src/vault.rs",
            "use crate::base::Date; pub struct Session(Date);",
        ),
    ])
    .expect("the sources parse");
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(
        problems[0]
            .starts_with("src/base.rs:1: `crate::vault::Session` imports from layer `vault`")
            && problems[0].contains("into layer `base`"),
        "{}",
        problems[0]
    );
    assert!(
        problems[1].starts_with("cycle between 2 modules: base, vault:")
            && problems[1].contains("base -> vault: src/base.rs:1 `crate::vault::Session`")
            && problems[1].contains("vault -> base: src/vault.rs:1 `crate::base::Date`"),
        "{}",
        problems[1]
    );
}

#[test]
fn paths_are_followed_to_the_module_that_defines_them() {
    let files: BTreeMap<PathBuf, String> = [
        (
            "src/lib.rs",
            "mod base; mod vault; pub use base::Date as Day;",
        ),
        (
            "src/base/mod.rs",
            "mod date; #[path = \"ids.rs\"] mod id; pub use date::Date; pub use id::*;
             #[cfg(test)] mod tests { use crate::vault::Session; }",
        ),
        ("src/base/date.rs", "#[derive(Default)] pub struct Date;"),
        ("src/base/ids.rs", "pub struct Id;"),
        (
            "src/vault/mod.rs",
            "mod a; mod b; pub struct Session; pub use b::B;",
        ),
        (
            "src/vault/a.rs",
            "use super::{Session as S, B, super::base::{self, Id}};
             pub fn f() { let _ = format!(\"{:?}\", crate::Day::default()); }",
        ),
        ("src/vault/b.rs", "pub struct B; fn g() { super::a::f() }"),
    ]
    .into_iter()
    .map(|(p, t)| (PathBuf::from(p), t.to_owned()))
    .collect();
    let lib = load(&|path: &Path| files.get(path).cloned()).expect("the sources parse");
    let uses: BTreeSet<String> = collect(&lib)
        .iter()
        .map(|u| {
            let kind = if u.reexport { " (re-export)" } else { "" };
            format!(
                "{} -> {}: `{}`{kind}",
                show(&u.from),
                show(&u.to),
                u.written
            )
        })
        .collect();
    let expected: BTreeSet<String> = [
        // `#[path]`, and a re-export, which the module's own code does not use.
        "base -> base::date: `date::Date` (re-export)",
        "base -> base::id: `id` (re-export)",
        // A rename; a sibling reached through the parent's re-export; `self` in a
        // nested group; a name from a glob re-export.
        "vault::a -> vault: `super::Session`",
        "vault::a -> vault::b: `super::B`",
        "vault::a -> base: `super::super::base`",
        "vault::a -> base::id: `super::super::base::Id`",
        // A macro argument, through the crate root's renaming re-export.
        "vault::a -> base::date: `crate::Day::default`",
        "vault::b -> vault::a: `super::a::f`",
        "vault -> vault::b: `b::B` (re-export)",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    // Nothing from the `#[cfg(test)]` module in base.
    assert_eq!(uses, expected);
}

#[test]
fn a_parent_and_its_own_children_may_use_each_other_but_not_close_a_cycle() {
    let mut files = vec![
        ("src/lib.rs", "mod vault;"),
        (
            "src/vault/mod.rs",
            "mod a; mod b; pub struct Session; pub use b::B; fn f(_: a::A, _: B) {}",
        ),
        ("src/vault/a.rs", "pub struct A(super::Session);"),
        ("src/vault/b.rs", "pub struct B(super::Session);"),
    ];
    assert_eq!(synthetic(&files), Ok(Vec::new()));

    // b -> a -> vault -> b: vault's own code uses `B`.
    files[3].1 = "pub struct B(super::Session); fn g(_: super::a::A) {}";
    let problems = synthetic(&files).expect("the sources parse");
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].starts_with("cycle between 3 modules: vault, vault::a, vault::b:")
            && problems[0].contains("\n  vault::b -> vault::a: src/vault/b.rs:1 `super::a::A`")
            && problems[0]
                .contains("(allowed alone):\n  vault -> vault::a: src/vault/mod.rs:1 `a::A`")
            && problems[0].contains("\n  vault -> vault::b: src/vault/mod.rs:1 `B`"),
        "{}",
        problems[0]
    );

    // Had vault only re-exported `B`, there would be no cycle.
    files[1].1 = "mod a; mod b; pub struct Session; pub use b::B; fn f(_: a::A) {}";
    assert_eq!(synthetic(&files), Ok(Vec::new()));
}

#[test]
fn paths_in_macro_arguments_count() {
    let problems = synthetic(&[
        ("src/lib.rs", "mod base; mod vault;"),
        (
            "src/base.rs",
            "fn f(c: char) -> bool {
                 assert!(crate::vault::ready());
                 matches!(c, 'a' if crate::vault::open(c))
             }",
        ),
        (
            "src/vault.rs",
            "pub fn ready() -> bool { true } pub fn open(_: char) -> bool { true }",
        ),
    ])
    .expect("the sources parse");
    // `matches!` takes a pattern and a guard, not expressions: its paths are picked
    // out of its tokens.
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(problems[0].starts_with("src/base.rs:2: `crate::vault::ready` imports"));
    assert!(problems[1].starts_with("src/base.rs:3: `crate::vault::open` imports"));
}
