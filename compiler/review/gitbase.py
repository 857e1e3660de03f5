"""The two sides `byok diff` compares: the key policies committed at a git ref (read with
`git cat-file`, no checkout) and the policy files of the working tree's `generated/` — the files
Terraform applies (`generated/main.tf` sends `policies/<key>.json` as each key's policy)."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..deployment import INVENTORY_FILE
from ..paths import OUT_DIR
from ..policy import iam
from ..resolve.lifecycle import Place

POLICY_DIR = f"{OUT_DIR}/policies"
ORG_JSON = "generated/organization.json"
INVENTORY_PATH = f"{OUT_DIR}/{INVENTORY_FILE}"
STACKS_DIR = "generated/stacks"
# In a stack's main.tf (render.locals_block): its account and Region, and its `keys` block,
# whose entries are the only lines `    "<key>" = {` between `  keys = {` and `  }`.
_PLACE = re.compile(r'^  (account_id|region) += "([^"]*)"$', re.MULTILINE)
_KEYS = re.compile(r"^  keys = \{\n(.*?)^  \}$", re.MULTILINE | re.DOTALL)
_KEY = re.compile(r'^    "([^"]+)" = \{$', re.MULTILINE)


class GitError(RuntimeError):
    """The base ref or its policies cannot be read."""


class AmbiguousRef(GitError):
    """`--base` names two refs (a tag and a branch): git would pick one silently (a tag first),
    so a pushed tag `origin/main` could make the review compare with the change itself."""


# git's order for a short ref name (git-rev-parse(1), "SPECIFYING REVISIONS"): the first that
# exists wins, so a tag shadows a branch or remote-tracking branch of the same name.
_REF_RULES = ("refs/{}", "refs/tags/{}", "refs/heads/{}", "refs/remotes/{}", "refs/remotes/{}/HEAD")


def full_ref(root: Path, ref: str) -> str:
    """The one full ref name `ref` names; `ref` itself when it is a commit id or an expression
    (`HEAD~1`); AmbiguousRef when it names two refs."""
    if ref.startswith("refs/") or ref == "HEAD":
        return ref
    found = []
    for rule in _REF_RULES:
        name = rule.format(ref)
        try:
            _git(root, "show-ref", "--verify", "--quiet", name)
        except GitError:
            continue
        found.append(name)
    if len(found) > 1:
        raise AmbiguousRef(
            f"`{ref}` names both {' and '.join(f'`{n}`' for n in found)}: pass the full name "
            f"(in CI: --base refs/remotes/origin/<branch>)"
        )
    return found[0] if found else ref


# generate hard-links unchanged files (a new ctime; inode, mtime, bytes kept): git-config(1)'s
# core.trustctime=false spares re-reading all of generated/ at the next diff (issue 29).
_GIT = ("git", "-c", "core.trustctime=false")


def _git(root: Path, *args: str) -> str:
    try:
        proc = subprocess.run(
            [*_GIT, "-C", str(root), *args], capture_output=True, text=True, check=False, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitError(f"cannot run git: {exc}") from exc
    if proc.returncode != 0:
        raise GitError(proc.stderr.strip() or f"git {' '.join(args)} failed")
    return proc.stdout


def _check_ref(root: Path, ref: str) -> None:
    """Say in words why `ref` cannot be read: no repository, no commit yet, or no such ref."""
    try:
        _git(root, "rev-parse", "--is-inside-work-tree")
    except GitError:
        raise GitError(
            f"`{root.resolve()}` is not in a git repository: `byok diff` compares the working "
            "tree with a commit (git init, then commit the reviewed state)"
        ) from None
    try:
        _git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    except GitError:
        raise GitError(
            "the repository has no commits yet, so there is nothing to compare with: commit "
            "the reviewed state first (git add -A && git commit)"
        ) from None
    try:
        _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except GitError:
        raise GitError(f"`{ref}` is not a commit of this repository") from None


@dataclass(frozen=True)
class Base:
    """The commit `byok diff` compares with, and how it was chosen: `given` (`--base REF`),
    `merge-base` (the default: where HEAD left the branch a pull request targets) or `head`
    (the default when there is no such branch)."""

    ref: str  # `HEAD`, `origin/main`, ... as named by the user or found for the default
    commit: str  # full object id of the compared commit (for `merge-base`, the merge-base)
    short: str
    rule: Literal["given", "merge-base", "head"]

    def describe(self) -> str:
        if self.rule == "merge-base":
            return f"merge-base of HEAD and {self.ref} ({self.short})"
        if self.rule == "head":
            return (
                f"HEAD ({self.short}), the default: no merge-base with origin/HEAD or an upstream"
            )
        return f"{self.ref} ({self.short})"


def _default_target(root: Path) -> str | None:
    """origin's default branch (`refs/remotes/origin/HEAD`, which `git clone` sets), else the
    current branch's upstream: the branch a pull request most likely targets."""
    for upstream, args in (
        (False, ("symbolic-ref", "-q", "refs/remotes/origin/HEAD")),
        (True, ("rev-parse", "--symbolic-full-name", "@{upstream}")),
    ):
        try:
            name = _git(root, *args).strip()
        except GitError:
            continue
        if name and not (upstream and _is_own_push_branch(root, name)):
            return name
    return None


def _is_own_push_branch(root: Path, upstream: str) -> bool:
    """`origin/feature` for the branch `feature`: where this branch is pushed, so its
    merge-base is the branch itself (a review of nothing), not the branch it is proposed to."""
    try:
        branch = _git(root, "rev-parse", "--abbrev-ref", "HEAD").strip()
    except GitError:
        return False
    return upstream.removeprefix("refs/remotes/").split("/", 1)[-1] == branch


def _base(root: Path, ref: str, rev: str, rule: Literal["given", "merge-base", "head"]) -> Base:
    commit = _git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").strip()
    return Base(ref, commit, _git(root, "rev-parse", "--short", commit).strip(), rule)


def resolve_base(root: Path, ref: str | None) -> Base:
    """`ref` as given; without one, the merge-base of HEAD and `_default_target`, else HEAD."""
    _check_ref(root, ref or "HEAD")
    if ref is not None:
        return _base(root, ref, full_ref(root, ref), "given")
    target = _default_target(root)
    if target is not None:
        try:
            shown = target.removeprefix("refs/remotes/").removeprefix("refs/heads/")
            return _base(
                root, shown, _git(root, "merge-base", "HEAD", target).strip(), "merge-base"
            )
        except GitError:
            pass  # unrelated histories: no merge-base, so HEAD (and the output says so)
    return _base(root, "HEAD", "HEAD", "head")


def tracked(root: Path, path: str) -> bool:
    """Whether git tracks `path` (relative to `root`); False outside a repository."""
    try:
        return bool(_git(root, "ls-files", "--", path).strip())
    except GitError:
        return False


def committed(root: Path) -> bool:
    """No tracked file differs from HEAD and no untracked file is where `byok` reads or
    Terraform applies (an untracked CI report elsewhere is not a change under review)."""
    tracked = _git(root, "status", "--porcelain", "--untracked-files=no")
    untracked = _git(
        root, "ls-files", "--others", "--exclude-standard", "--", "org.yaml", "vendors",
        *TERRAFORM_PATHS,
    )  # fmt: skip
    return not tracked.strip() and not untracked.strip()


class Policies(Mapping[str, iam.Policy]):
    """Key name -> policy, each text parsed when first asked for (a key whose file is the same
    on both sides of a review is compared by its text: `same_text`), through a memo shared by
    both sides (`_parser`): equal texts are one policy object."""

    def __init__(self, texts: dict[str, str], memo: dict[str, iam.Policy] | None) -> None:
        self.texts, self.parse = texts, _parser(memo)

    def __getitem__(self, name: str) -> iam.Policy:
        return self.parse(self.texts[name])

    def __contains__(self, name: object) -> bool:  # Mapping's would parse the text
        return name in self.texts

    def __iter__(self) -> Iterator[str]:
        return iter(self.texts)

    def __len__(self) -> int:
        return len(self.texts)


def same_text(a: Mapping[str, iam.Policy], b: Mapping[str, iam.Policy]) -> frozenset[str]:
    """The keys both sides hold with byte-identical policy files: unchanged, and parsed by
    neither side (`review`); empty unless both are `Policies`."""
    if not isinstance(a, Policies) or not isinstance(b, Policies):
        return frozenset()
    return frozenset(n for n, text in a.texts.items() if b.texts.get(n) == text)


def _git_oid(data: bytes, width: int) -> str:
    """The object id git gives a blob holding `data` (SHA-1, or SHA-256 in a repository of
    that object format: an id of 64 hex digits)."""
    h = hashlib.sha1(usedforsecurity=False) if width == 40 else hashlib.sha256()
    h.update(b"blob %d\0" % len(data))
    h.update(data)
    return h.hexdigest()


def committed_policies(
    root: Path,
    base: Base,
    memo: dict[str, iam.Policy] | None = None,
    tree: Mapping[str, bytes] | None = None,
) -> Policies:
    """Key name -> policy as committed at `base` (empty when generated/ did not exist yet);
    `memo` is shared with `working_policies` (see `_parser`). `base` comes from `resolve_base`,
    which has checked that its commit can be read. A file whose blob id at `base` is that of
    the same file in `tree` (`generated/` as read) is taken from `tree`, not read from git:
    equal ids are equal bytes. The texts read from git are parsed at once (a base that cannot
    be parsed is reported as before); the others when asked for."""
    ref = base.commit
    listing = _git(root, "ls-tree", "-z", f"{ref}:{POLICY_DIR}") if _has_dir(root, ref) else ""
    # Blobs by object id: a `REF:PATH` lookup scans the directory's tree, so 10,000 of them
    # cost 10,000 x 10,000 entry comparisons inside git (issue 16).
    entries = [e.split("\t", 1) for e in listing.split("\0") if "\t" in e]
    found = [
        (name, meta.split()[2])
        for meta, name in entries
        if name.endswith(".json") and meta.split()[1] == "blob"
    ]
    here = {name: _same_blob(tree, name, oid) for name, oid in found}
    read = [oid for name, oid in found if here[name] is None]
    fetched = iter(_blobs(root, read))
    out = Policies({}, memo)
    for name, _ in found:
        text = here[name]
        if text is None:
            text = next(fetched)
            out.parse(text)  # now: a base that cannot be parsed fails here, as it always did
        out.texts[name.removesuffix(".json")] = text
    return out


def _same_blob(tree: Mapping[str, bytes] | None, name: str, oid: str) -> str | None:
    """The text of `policies/<name>` in `tree` when it is blob `oid` (equal ids: equal bytes)."""
    data = None if tree is None else tree.get(f"policies/{name}")
    return data.decode("utf-8") if data is not None and _git_oid(data, len(oid)) == oid else None


def _parser(memo: dict[str, iam.Policy] | None) -> Callable[[str], iam.Policy]:
    """Policy text -> policy, each distinct text parsed once: `diff` passes one memo for both
    sides, so a key whose file is unchanged is parsed once and compares by identity."""
    cache = {} if memo is None else memo

    def parse(text: str) -> iam.Policy:
        got = cache.get(text)
        if got is None:
            got = cache[text] = iam.Policy.from_json(json.loads(text))
        return got

    return parse


# Where byok and Terraform read what a change can touch: the inputs, the generated and
# hand-written Terraform, the root's files (Terraform's and its CLI's), CI workflows. `committed`
# looks for untracked files there; `changed_files` lists every changed path and loaded.py
# decides what each is.
TERRAFORM_PATHS = (
    "generated", "modules", ".github", ":(glob)*.tf", ":(glob)*.tf.json", ":(glob)*.tofu",
    ":(glob)*.tofu.json", ":(glob)*.tfvars", ":(glob)*.tfvars.json", ":(glob)**/.terraformrc",
    ":(glob)**/terraform.rc", ".terraform.lock.hcl", "atlantis.yaml",
)  # fmt: skip


def changed_files(root: Path, ref: str) -> tuple[str, ...]:
    """Every path of the working tree that differs from `ref`, or is new and not ignored."""
    tracked = _git(root, "diff", "--name-only", "--no-renames", "-z", ref).split("\0")
    untracked = _git(root, "ls-files", "--others", "--exclude-standard", "-z").split("\0")
    return tuple(sorted({n for n in (*tracked, *untracked) if n}))


def committed_inventory(root: Path, base: Base) -> bytes | None:
    """`generated/deployment.json` as committed at `base`, or None when the base has none
    (committed before byok wrote it)."""
    if not _has_dir(root, base.commit, INVENTORY_PATH):
        return None
    return _blobs(root, [f"{base.commit}:{INVENTORY_PATH}"])[0].encode("utf-8")


def working_policies(
    tree: Mapping[str, bytes], memo: dict[str, iam.Policy] | None = None
) -> Policies:
    """Key name -> policy as the working tree's `generated/policies/*.json` hold it, taken from
    `tree` (`generated/` as `write.read_tree` returns it); parsed when asked for (`Policies`)."""
    prefix = POLICY_DIR.removeprefix(f"{OUT_DIR}/") + "/"
    texts = {
        rel[len(prefix) : -len(".json")]: data.decode("utf-8")
        for rel, data in sorted(tree.items())
        if rel.startswith(prefix) and rel.endswith(".json") and "/" not in rel[len(prefix) :]
    }
    return Policies(texts, memo)


def _blobs(root: Path, specs: list[str]) -> list[str]:
    """The text of each blob (`REF:PATH` or object id), read by one `git cat-file --batch`
    (not one `git show` per key: a thousand keys would be a thousand processes)."""
    if not specs:
        return []
    try:
        asked = "".join(f"{s}\n" for s in specs).encode("utf-8")
        cmd = [*_GIT, "-C", str(root), "cat-file", "--batch"]
        proc = subprocess.run(cmd, capture_output=True, input=asked, check=False, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitError(f"cannot run git: {exc}") from exc
    if proc.returncode != 0:
        raise GitError(proc.stderr.decode("utf-8", "replace").strip() or "git cat-file failed")
    out: list[str] = []
    data, at = proc.stdout, 0
    for spec in specs:
        end = data.find(b"\n", at)
        header = data[at:end].decode("utf-8", "replace").split()
        if end < 0 or len(header) != 3 or header[1] != "blob":
            raise GitError(f"cannot read `{spec}`: {' '.join(header[1:]) or 'no answer'}")
        size = int(header[2])
        out.append(data[end + 1 : end + 1 + size].decode("utf-8"))
        at = end + 1 + size + 1
    return out


def _has_dir(root: Path, ref: str, path: str = POLICY_DIR) -> bool:
    try:
        _git(root, "cat-file", "-e", f"{ref}:{path}")
    except GitError:
        return False
    return True


@dataclass(frozen=True)
class Placement:
    """Where the generated Terraform at a ref creates each key: the root module's account
    and Region (`organization.json`; None when the ref has none) and each stack's keys."""

    root: Place | None
    stacks: Mapping[str, Place]  # key name -> the account and Region of its stack

    def of(self, name: str) -> Place | None:
        return self.stacks.get(name, self.root)


def _stack_keys(sid: str, main_tf: str) -> dict[str, Place]:
    place = {m.group(1): m.group(2) for m in _PLACE.finditer(main_tf)}
    block = _KEYS.search(main_tf)
    if set(place) != {"account_id", "region"} or block is None:
        raise GitError(f"cannot read the account, Region and keys of stack `{sid}`")
    where = (place["account_id"], place["region"])
    return dict.fromkeys(_KEY.findall(block.group(1)), where)


def committed_placement(root: Path, ref: str) -> Placement:
    """The `Placement` of the generated Terraform committed at `ref`."""
    where = None
    if _has_dir(root, ref, ORG_JSON):
        doc = json.loads(_blobs(root, [f"{ref}:{ORG_JSON}"])[0])
        where = (str(doc["account_id"]), str(doc["region"]))
    sids: list[str] = []
    if _has_dir(root, ref, STACKS_DIR):
        listing = _git(root, "ls-tree", "-z", f"{ref}:{STACKS_DIR}").split("\0")
        entries = [e.split("\t", 1) for e in listing if "\t" in e]
        sids = sorted(name for meta, name in entries if meta.split()[1] == "tree")
    mains = _blobs(root, [f"{ref}:{STACKS_DIR}/{sid}/main.tf" for sid in sids])
    stacks: dict[str, Place] = {}
    for sid, text in zip(sids, mains, strict=True):
        stacks.update(_stack_keys(sid, text))
    return Placement(where, stacks)
