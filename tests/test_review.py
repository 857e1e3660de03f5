"""`byok diff`: plain-language access changes against the committed policies (issue 4)."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from byok.cli.diff import WIDENING_HELP
from byok.cli.diff import _compile as diff_compile
from byok.review import Words
from tests.conftest import (
    APPS_END,
    GIT_ENV,
    REPO,
    byok,
    committed_repo,
    copy_inputs,
    default_base,
    git,
)


def _generate(project: Path) -> None:
    """`byok diff` reviews the generated/ Terraform applies: regenerate after an input edit."""
    res = byok(project, "generate")
    assert res.returncode == 0, res.stdout + res.stderr


def _edit(project: Path, old: str, new: str) -> None:
    org = project / "org.yaml"
    text = org.read_text()
    assert old in text
    org.write_text(text.replace(old, new, 1))
    _generate(project)


def test_unchanged_inputs_report_no_changes_against_the_named_base(repo: Path) -> None:
    short = git(repo, "rev-parse", "--short", "HEAD").strip()
    res = byok(repo, "diff", "--base", "HEAD")
    assert (res.returncode, res.stdout, res.stderr) == (
        0,
        f"base: HEAD ({short})\nno access changes in the key policies\n",
        "",
    )


def test_added_revocation_names_key_vendor_actions_value(repo: Path) -> None:
    _edit(repo, "values: [C0123ABCD, C07QX4M2PLR]", "values: [C0123ABCD, C07QX4M2PLR, C0999ZZZZ]")
    res = byok(repo, "diff")
    assert res.returncode == 0, res.stdout + res.stderr
    # channel_id is unconfirmed (org.yaml acknowledges it, SEC-124): the same caveat as
    # `generate` prints (issue 25)
    assert res.stdout == default_base(repo) + (
        "slack-prod: Slack (152659312504) loses kms:Decrypt, kms:GenerateDataKey when "
        "kms:EncryptionContext:channel_id = C0999ZZZZ (revocation SEC-123); unconfirmed: may "
        "deny nothing: slack has not confirmed it sends `channel_id`\n"
    )


def _witness_check(repo: Path, tmp_path: Path, key: str, witness: dict[str, object]) -> None:
    req = tmp_path / "req.json"
    req.write_text(json.dumps(witness))
    old = tmp_path / "old.json"
    old.write_text(
        subprocess.run(
            ["git", "-C", str(repo), "show", f"HEAD:generated/policies/{key}.json"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    byok(repo, "generate")
    new = repo / "generated" / "policies" / f"{key}.json"
    # A vendor is another account: the key policy's side of the allow is `allow_if_iam`.
    account = ("--key-account", "111122223333")
    assert json.loads(byok(repo, "eval", str(new), str(req), *account).stdout)["decision"] in (
        "allow",
        "allow_if_iam",
    )
    assert json.loads(byok(repo, "eval", str(old), str(req), *account).stdout)["decision"] == "deny"


def test_removed_revocation_is_new_access_with_confirmed_witness(
    repo: Path, tmp_path: Path
) -> None:
    _edit(repo, "values: [C0123ABCD, C07QX4M2PLR]", "values: [C0123ABCD]")
    res = byok(repo, "diff", "--format", "json")
    assert res.returncode == 3, res.stdout + res.stderr
    doc = json.loads(res.stdout)
    head = git(repo, "rev-parse", "HEAD").strip()
    assert (doc["base"], doc["base_commit"], doc["base_rule"]) == ("HEAD", head, "head")
    changed = [k for k in doc["keys"] if k["status"] != "unchanged"]
    assert [k["key"] for k in changed] == ["slack-prod"]
    assert changed[0]["relation"] == "wider" and changed[0]["widens"] is True
    assert changed[0]["changes"] == [
        "slack-prod: NEW ACCESS: Slack (152659312504) regains kms:Decrypt, kms:GenerateDataKey "
        "when kms:EncryptionContext:channel_id = C07QX4M2PLR (revocation SEC-123 lifted)"
    ]
    _witness_check(repo, tmp_path, "slack-prod", changed[0]["new_access"])
    text = byok(repo, "diff", "--base", "HEAD")
    assert "NEW ACCESS in slack-prod (wider)" in text.stdout and text.returncode == 3
    assert byok(repo, "diff", "--allow-widening").returncode == 0


BOX = (
    "\n  - vendor: box\n    environments: [prod]\n"
    "    parameters:\n      principal_arn: arn:aws:iam::999988887777:role/BoxKeySafe\n"
)


def _add_box(project: Path) -> None:
    """A new app, the last one: after the last app, before org.yaml's optional features."""
    org = project / "org.yaml"
    text = org.read_text()
    assert text.count(APPS_END) == 1
    org.write_text(text.replace(APPS_END, BOX + APPS_END))
    _generate(project)


def test_new_vendor_key_witness_is_the_vendor(repo: Path) -> None:
    """The witness of a new key is what the vendor gains, not our own root managing the key."""
    _add_box(repo)
    res = byok(repo, "diff", "--format", "json")
    keys = {k["key"]: k for k in json.loads(res.stdout)["keys"]}
    assert (
        keys["box-prod"]["new_access"]["principal"] == "arn:aws:iam::999988887777:role/BoxKeySafe"
    )


def test_new_app_is_widening(repo: Path) -> None:
    _add_box(repo)
    res = byok(repo, "diff")
    assert res.returncode == 3, res.stdout + res.stderr
    assert res.stdout.startswith(
        default_base(repo) + "box-prod: NEW ACCESS: new key for Box (999988887777), prod\n"
    )
    assert "NEW ACCESS in box-prod (wider)" in res.stdout


def test_lifted_suspension_is_widening(repo: Path) -> None:
    text = (repo / "org.yaml").read_text()
    start = text.index("    suspension:")
    (repo / "org.yaml").write_text(text[:start])
    _generate(repo)
    res = byok(repo, "diff")
    assert res.returncode == 3, res.stdout + res.stderr
    assert (
        "databricks-staging: NEW ACCESS: Databricks (414351767826) and the organization's own "
        "`arn:aws:iam::111122223333:role/databricks-cross-account-prod`, "
        "`arn:aws:iam::111122223333:role/databricks-cross-account-staging` regain "
    ) in res.stdout and "(suspension lifted)" in res.stdout


def test_bad_base_ref_is_an_error(repo: Path) -> None:
    res = byok(repo, "diff", "--base", "no-such-ref")
    assert res.returncode == 1
    assert res.stderr.startswith("byok: error: cannot read the base at `no-such-ref`")


# --------------------------------------------------------------------------- issue 11, items 3-4


def _drop_statement(project: Path, key: str, sid: str) -> int:
    """Remove statement `sid` from generated/policies/<key>.json by hand; its first line."""
    path = project / "generated" / "policies" / f"{key}.json"
    text = path.read_text()
    doc = json.loads(text)
    doc["Statement"] = [s for s in doc["Statement"] if s["Sid"] != sid]
    path.write_text(json.dumps(doc, indent=2) + "\n")
    return text.splitlines().index(f'      "Sid": "{sid}",') + 1


def test_hand_edit_of_a_generated_policy_is_never_no_access_changes(repo: Path) -> None:
    line = _drop_statement(repo, "slack-prod", "RevokeSlackChannel")
    res = byok(repo, "diff")
    assert (res.returncode, res.stdout) == (1, ""), res.stdout
    assert res.stderr == (
        f"generated/policies/slack-prod.json:{line}:1: E323 generated/ is stale: differs from "
        "what the inputs compile to\n"
        "  help: run `byok generate` (a hand edit of generated/ is overwritten), review, commit\n"
        "byok: generated/ is stale: run `byok generate`, then review\n"
    )
    assert byok(repo, "diff", "--allow-widening").returncode == 1


def test_the_verdict_is_computed_on_the_json_terraform_applies(repo: Path) -> None:
    """`review` judges the policy files, not the compiled keys: given the compiled words of the
    shipped inputs and a working-tree policy without its revocation, it reports new access."""
    from byok.pipeline import build_tree
    from byok.review import Words, review
    from byok.review.gitbase import committed_policies, resolve_base, working_policies
    from byok.write import read_tree

    compiled = build_tree(repo).compiled
    words = Words(compiled={ck.key.name: ck for ck in compiled.keys})
    _drop_statement(repo, "slack-prod", "RevokeSlackChannel")
    changes = review(
        working_policies(read_tree(repo / "generated")),
        committed_policies(repo, resolve_base(repo, "HEAD")),
        words,
    )
    changed = [c for c in changes if c.status != "unchanged"]
    assert [(c.key, c.relation, c.widens) for c in changed] == [("slack-prod", "wider", True)]
    assert changed[0].lines == (
        "slack-prod: NEW ACCESS: Slack (152659312504) regains kms:Decrypt, kms:GenerateDataKey "
        "when kms:EncryptionContext:channel_id = C0123ABCD, C07QX4M2PLR (revocation lifted)",
    )  # Words without the base's org.yaml: the line cannot name the ticket
    witness = changed[0].new_access
    assert witness is not None
    assert witness.context["kms:EncryptionContext:channel_id"] in ("C0123ABCD", "C07QX4M2PLR")


def _review_reading(repo: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[Any], list[str]]:
    """`byok diff`'s policy review of `repo`, and the blobs it read from git and the
    policies it parsed (`parsed <Id>`)."""
    from byok.cli import diff
    from byok.review import gitbase

    read: list[str] = []
    blobs = gitbase._blobs

    def spy(root: Path, specs: list[str]) -> list[str]:
        read.extend(specs)
        return blobs(root, specs)

    monkeypatch.setattr(gitbase, "_blobs", spy)
    parsed = gitbase.iam.Policy.from_json

    def parse(doc: Any) -> Any:
        read.append(f"parsed {doc['Id']}")
        return parsed(doc)

    monkeypatch.setattr(gitbase.iam.Policy, "from_json", parse)
    built = diff._compile(repo)
    assert built is not None
    args = argparse.Namespace(format="text", allow_widening=False, allow_weakening=False)
    report = diff._report(repo, built, gitbase.resolve_base(repo, "HEAD"), args)
    assert not isinstance(report, int)
    return report.keys.changes, read


@pytest.mark.parametrize("object_format", ["sha1", "sha256"])
def test_a_policy_file_the_base_holds_byte_for_byte_is_not_read_from_git(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, object_format: str
) -> None:
    """A working-tree policy whose git blob id is the base's is that blob (issue 29: `diff`
    pays for what changed): only the changed key's base policy is read from git, and the
    review is the one of every policy read from git (`committed_policies` without the tree).
    Only that key's two policies are parsed."""
    from byok.review import review
    from byok.review.gitbase import committed_policies, resolve_base, working_policies

    project = copy_inputs(tmp_path / "repo")
    git(project, "init", "-q", "-b", "main", f"--object-format={object_format}")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "base")
    _edit(project, "values: [C0123ABCD, C07QX4M2PLR]", "values: [C0123ABCD, C0999ZZZZ]")
    changes, read = _review_reading(project, monkeypatch)
    oid = git(project, "rev-parse", "HEAD:generated/policies/slack-prod.json").strip()
    assert oid in read
    assert not [s for s in read if len(s) == len(oid) and s != oid]  # no other policy
    assert [s for s in read if s.startswith("parsed")] == ["parsed acme-slack-prod"] * 2
    assert [(c.key, c.status) for c in changes if c.status != "unchanged"] == [
        ("slack-prod", "changed")
    ]
    built = diff_compile(project)
    words = Words(compiled={ck.key.name: ck for ck in built.compiled.keys})
    every = review(
        working_policies(built.tree),
        committed_policies(project, resolve_base(project, "HEAD")),
        words,
    )
    assert [(c.key, c.status, c.relation) for c in every] == [
        (c.key, c.status, c.relation) for c in changes
    ]


def _drop_app(project: Path, vendor: str, next_vendor: str) -> None:
    org = project / "org.yaml"
    text = org.read_text()
    start, end = text.index(f"  - vendor: {vendor}\n"), text.index(f"  - vendor: {next_vendor}\n")
    org.write_text(text[:start] + text[end:])


ZOOM_DELETION = (
    "zoom-prod: KEY DELETION: the key leaves generated/ without a decommission in org.yaml; "
    "deleting it would make everything Zoom (409910850980) encrypted under it unreadable "
    "(Terraform's plan refuses: prevent_destroy)\n"
    "\n"
    "KEY DELETION of zoom-prod: restore its app or environment, or declare `decommissions: "
    "[{key: zoom-prod, reason: ..., ticket: ..., vendor_confirmed: YYYY-MM-DD}]` in org.yaml "
    "once the vendor has confirmed\n"
)


def _unproved(path: str, why: str) -> str:
    return f"NOT PROVED: {path} changed: {why}; review it (exit 3 until approved)\n"


DEPLOYMENT = "\nthe deployment (every resource Terraform manages, by AWS identity):\n"
OTHER = "\nother changes (no access, data or monitoring at stake):\n"
ZOOM_ALIAS_REMOVED = (
    OTHER
    + "  removed: key alias `alias/acme-zoom-prod` (account 111122223333/Region us-east-1)\n"
    # the key's IAM Access Analyzer archive rule leaves with it (issue 28)
    + "  removed: Access Analyzer archive rule `acme-byok/acme-byok-zoom-prod` (account "
    "111122223333/Region us-east-1)\n"
)
MODULE = "a hand-written module: applied too; its effect cannot be proved offline"
ROOT = "the hand-owned root module: applied too; its effect cannot be proved offline"


def test_a_hand_edit_to_the_modules_fails_closed(repo: Path) -> None:
    """`diff` judges key policies only; the hand-written modules and the root module are
    applied too, so an edit there (dropping `prevent_destroy`, say) is named for the reviewer."""
    tf = repo / "modules" / "kms-key" / "main.tf"
    tf.parent.mkdir(parents=True)
    shutil.copy2(REPO / "modules" / "kms-key" / "main.tf", tf)
    shutil.copy2(REPO / "main.tf", repo / "main.tf")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "terraform")
    tf.write_text(tf.read_text().replace("prevent_destroy = true", "prevent_destroy = false"))
    (repo / "main.tf").write_text((repo / "main.tf").read_text() + "\n# root edit\n")
    res = byok(repo, "diff")
    assert res.returncode == 3, res.stderr  # fails closed until approved
    assert res.stderr == (
        "byok: a change the review cannot prove: review it; exit 3\n" + WIDENING_HELP + "\n"
    )
    assert res.stdout == (
        default_base(repo)
        + "no access changes in the key policies\n"
        + DEPLOYMENT
        + _unproved("main.tf", ROOT)
        + _unproved("modules/kms-key/main.tf", MODULE)
        + "WEAKENED: modules/kms-key/main.tf: Terraform may delete the vendor keys "
        '(prevent_destroy off) (`resource "aws_kms_key" "this"` changed)\n'
        "WEAKENED: modules/kms-key/main.tf: Terraform may delete the keys with imported "
        'material (prevent_destroy off) (`resource "aws_kms_external_key" "this"` changed)\n'
    )
    # approved, the weakening still needs its own approval
    assert byok(repo, "diff", "--allow-widening").returncode == 6
    assert byok(repo, "diff", "--allow-widening", "--allow-weakening").returncode == 0


def test_removing_an_app_is_destructive_before_and_after_generate(repo: Path) -> None:
    _drop_app(repo, "zoom", "databricks")
    res = byok(repo, "diff", "--allow-widening")
    assert (res.returncode, res.stdout) == (4, default_base(repo) + ZOOM_DELETION), res.stderr
    assert res.stderr == "byok: generated/ is also stale (`byok generate`)\n"
    res = byok(repo, "diff", "--format", "json")
    assert res.returncode == 4
    assert [(k["key"], k["destroys"]) for k in json.loads(res.stdout)["keys"]] == [
        ("zoom-prod", True)
    ]
    gen = byok(repo, "generate")
    assert gen.returncode == 1
    assert gen.stderr.startswith(
        "org.yaml:32:1: E320 key `zoom-prod` is in generated/ but org.yaml no longer produces "
        "it: deleting it would make everything Zoom encrypted under it unreadable (Terraform's "
        "plan refuses: prevent_destroy)\n"
        "  help: restore the app, or decommission the key under `decommissions:` with "
        "`key: zoom-prod`, `reason`, `ticket` and `vendor_confirmed` (README, "
        '"Decommissioning a key")\n'
    ), gen.stderr
    # Deleting the key's files by hand gets generate through; the review still refuses it.
    for rel in ("policies/zoom-prod.json", "handoff/zoom-prod.md"):
        (repo / "generated" / rel).unlink()
    _generate(repo)
    res = byok(repo, "diff")
    expected = default_base(repo) + ZOOM_DELETION + ZOOM_ALIAS_REMOVED
    assert (res.returncode, res.stdout, res.stderr) == (4, expected, "")
    doc = json.loads(byok(repo, "diff", "--format", "json").stdout)
    assert doc["destroys"] is True and doc["widens"] is False
    (zoom,) = [k for k in doc["keys"] if k["key"] == "zoom-prod"]
    assert (zoom["status"], zoom["destroys"]) == ("removed", True)


def test_removing_an_environment_is_destructive(repo: Path) -> None:
    _edit_raw(repo, "environments: [prod, sandbox]", "environments: [prod]")
    res = byok(repo, "diff")
    assert res.returncode == 4
    assert res.stdout.startswith(
        default_base(repo)
        + "slack-sandbox: KEY DELETION: the key leaves generated/ without a decommission in "
        "org.yaml; deleting it would make everything Slack (152659312504) encrypted under it "
        "unreadable (Terraform's plan refuses: prevent_destroy)\n"
    ), res.stdout
    gen = byok(repo, "generate")
    assert gen.returncode == 1
    assert gen.stderr.startswith(
        "org.yaml:34:19: E320 key `slack-sandbox` is in generated/ but org.yaml no longer "
        "produces it"
    ), gen.stderr


def _edit_raw(project: Path, old: str, new: str) -> None:
    org = project / "org.yaml"
    text = org.read_text()
    assert text.count(old) == 1
    org.write_text(text.replace(old, new))


DECOMMISSION = """
decommissions:
  - key: zoom-prod
    reason: Zoom contract ended; Zoom deleted the data
    ticket: SEC-200
    vendor_confirmed: 2026-11-20
"""


def test_a_declared_decommission_lets_the_key_leave(repo: Path) -> None:
    _drop_app(repo, "zoom", "databricks")
    (repo / "org.yaml").write_text((repo / "org.yaml").read_text() + DECOMMISSION)
    assert byok(repo, "diff").returncode == 1  # generated/ not regenerated yet: stale
    _generate(repo)
    assert not (repo / "generated" / "policies" / "zoom-prod.json").exists()
    access = (repo / "generated" / "ACCESS.md").read_text()
    assert access.endswith(
        "\n## Decommissioned keys\n\n"
        "No longer managed here: each left through a reviewed decommission and is deleted by the "
        'break-glass step of the README ("Decommissioning a key"); once deleted, what the vendor '
        "encrypted under it is unreadable.\n\n"
        "- `zoom-prod`: SEC-200: Zoom contract ended; Zoom deleted the data; the vendor confirmed "
        "re-encryption or deletion on 2026-11-20\n"
    )
    res = byok(repo, "diff")
    assert (res.returncode, res.stdout) == (
        0,
        default_base(repo)
        + "zoom-prod: decommissioned (SEC-200: Zoom contract ended; Zoom deleted the data; "
        "Zoom (409910850980) confirmed re-encryption or deletion on 2026-11-20): the key leaves "
        'Terraform; delete it with the break-glass runbook (README, "Decommissioning a key")\n'
        + ZOOM_ALIAS_REMOVED,
    ), res.stderr
    # A decommission of a key an app still produces is refused.
    text = (repo / "org.yaml").read_text()
    (repo / "org.yaml").write_text(text.replace("key: zoom-prod", "key: slack-prod"))
    line = text[: text.index("key: zoom-prod")].count("\n") + 1
    gen = byok(repo, "generate")
    assert gen.returncode == 1
    assert gen.stderr.startswith(
        f"org.yaml:{line}:10: E321 key `slack-prod` is decommissioned but an app still "
        "produces it\n"
        "  help: remove the environment (or the app) that produces it, or drop the decommission\n"
    ), gen.stderr


def test_property_no_hand_edit_of_generated_passes_review(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever file of generated/ is edited by hand, and however, `byok diff` refuses it (exit 1,
    E323 naming that file) and never prints "no access changes"."""
    import contextlib
    import io

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from byok.cli import main as cli

    project = committed_repo(copy_inputs(tmp_path_factory.mktemp("prop") / "repo"))
    files = sorted(p for p in (project / "generated").rglob("*") if p.is_file())

    @settings(max_examples=25)
    @given(
        index=st.integers(0, len(files) - 1),
        at=st.floats(0, 1),
        cut=st.integers(0, 40),
        insert=st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8),
    )
    def check(index: int, at: float, cut: int, insert: str) -> None:
        path = files[index]
        original = path.read_bytes()
        text = original.decode("utf-8")
        pos = int(at * len(text))
        edited = (text[:pos] + insert + text[pos + cut :]).encode("utf-8")
        if edited == original:
            return
        path.write_bytes(edited)
        out, err = io.StringIO(), io.StringIO()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = cli.main(["-C", str(project), "diff"])
        finally:
            path.write_bytes(original)
        rel = path.relative_to(project).as_posix()
        assert (code, out.getvalue()) == (1, ""), err.getvalue()
        assert f"{rel}:" in err.getvalue() and " E323 generated/ is stale" in err.getvalue()

    monkeypatch.setenv("BYOK_TODAY", GIT_ENV["BYOK_TODAY"])
    check()


def test_key_options_outside_the_policies_are_judged(repo: Path) -> None:
    """A shorter deletion window is in generated/main.tf, not in a policy: the deployment
    review names it as a weakening (exit 6), key by key."""
    _edit(repo, "      deletion_window_days: 30", "      deletion_window_days: 14")
    res = byok(repo, "diff")
    assert (res.returncode, res.stdout) == (
        6,
        default_base(repo)
        + "no access changes in the key policies\n"
        + DEPLOYMENT
        + "WEAKENED: key `zoom-prod` (account 111122223333/Region us-east-1) gives less time to "
        "stop a deletion: deletion_window_in_days 30 -> 14\n",
    ), res.stderr


def test_a_stack_key_is_judged_in_its_own_account() -> None:
    """A key of a stack lives in the stack's account, not org.yaml's: a role of that account
    named directly gains access without any IAM policy (delegated -> direct is new access,
    https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html)."""
    from datetime import date

    from byok.pipeline import build_tree
    from byok.policy import iam
    from byok.review.changes import Words, key_change

    compiled = build_tree(REPO / "examples" / "enterprise", date(2026, 11, 23)).compiled
    ck = next(c for c in compiled.keys if c.key.name == "slack-staging")
    assert ck.key.org.account_id == "444455556666" != compiled.resolved.org.account_id
    direct = iam.Statement(
        sid="Anyone",
        effect="Allow",
        principal=iam.Principals(aws=("arn:aws:iam::444455556666:role/Anyone",)),
        action=("kms:Decrypt",),
        resource=("*",),
    )
    new = ck.policy.model_copy(update={"statements": (*ck.policy.statements, direct)})
    words = Words(compiled={ck.key.name: ck}, account=compiled.resolved.org.account_id)
    change = key_change(ck.key.name, new, ck.policy, words)
    assert change.relation == "wider", change
    assert change.new_access is not None
    assert change.new_access.principal == "arn:aws:iam::444455556666:role/Anyone"


def test_a_forged_generate_cache_cannot_hide_a_hand_edit(repo: Path) -> None:
    """The cache lives in the working tree (`.build/`), so a contributor can write one that
    vouches for a hand-edited `generated/`: `diff` still renders the inputs and compares."""
    from datetime import date

    from byok.cli.generate import _fingerprint
    from byok.write import cache, read_tree

    assert byok(repo, "generate").returncode == 0
    main_tf = repo / "generated" / "main.tf"
    text = main_tf.read_text()
    needle = '"deletion_window_in_days"   = 30'
    assert needle in text
    main_tf.write_text(text.replace(needle, '"deletion_window_in_days"   = 7', 1))
    day = date.fromisoformat(GIT_ENV["BYOK_TODAY"])
    fp = _fingerprint(repo, day)
    assert fp is not None
    tree = cache.tree_digest(read_tree(repo / "generated"))
    cache.store(repo, cache.Entry(fingerprint=fp, tree=tree, stderr="", stdout=""))
    res = byok(repo, "diff")
    assert res.returncode == 1, res.stdout + res.stderr
    assert "E323" in res.stderr and "generated/main.tf" in res.stderr


def test_hand_written_terraform_json_fails_closed_too(repo: Path) -> None:
    """Terraform reads `*.tf.json` as configuration (a grant can hide in one): at the root and
    in modules/ it is hand-written Terraform like `*.tf`, and JSON output says so too."""
    grant = '{"resource": {"aws_kms_grant": {"x": {"name": "x"}}}}\n'
    (repo / "override.tf.json").write_text(grant)
    (repo / "modules" / "kms-key").mkdir(parents=True)
    (repo / "modules" / "kms-key" / "extra.tf.json").write_text(grant)
    res = byok(repo, "diff")
    assert res.returncode == 3, res.stdout + res.stderr
    assert res.stdout == (
        default_base(repo)
        + "no access changes in the key policies\n"
        + DEPLOYMENT
        + _unproved("modules/kms-key/extra.tf.json", MODULE)
        + _unproved(
            "override.tf.json", "an override file: Terraform merges it over the configuration"
        )
    )
    doc = json.loads(byok(repo, "diff", "--format", "json").stdout)
    assert doc["widens"] is True  # as the exit code says


@pytest.mark.parametrize("foreign", [False, True])
def test_a_cache_from_elsewhere_vouches_for_nothing(
    repo: Path, monkeypatch: pytest.MonkeyPatch, foreign: bool
) -> None:
    """The build cache (`.build/byok/`) lets `diff` skip the proofs of apps a `generate` of
    this user proved; one sealed under another key (committed with the change under review,
    copied from another machine) is ignored, and every app is proved again."""
    from byok import incremental
    from byok.cli.main import main
    from byok.write.store import Store

    monkeypatch.setenv("BYOK_TODAY", "2026-11-23")
    # in this process, like the diff below: the compiler's fingerprint includes what is
    # installed on `sys.path`, which is not the same in a `byok` process
    assert main(["-C", str(repo), "generate"]) == 0
    if foreign:
        store = Store(repo)
        Store(repo, key=b"f" * 32).write(store.read())
        git(repo, "add", "-f", ".build")
        git(repo, "commit", "-qm", "a cache in the pull request")
    reused: list[int] = []
    real = incremental.plan
    monkeypatch.setattr(
        incremental, "plan", lambda *a: (p := real(*a), reused.append(len(p.reused)))[0]
    )
    assert main(["-C", str(repo), "diff", "--base", "HEAD"]) == 0
    assert reused == ([0] if foreign else [3])


def test_decommission_rules_are_checked_whatever_the_cache_says(repo: Path) -> None:
    """`compile_verified` (the cache-hit path of `diff`) refuses what `generate` refuses about a
    key leaving: a decommission confirmed in the future is E322 there too."""
    from datetime import date

    from byok.diagnostics import CompileError
    from byok.pipeline import compile_verified

    _drop_app(repo, "zoom", "databricks")
    (repo / "org.yaml").write_text(
        (repo / "org.yaml").read_text() + DECOMMISSION.replace("2026-11-20", "2099-01-01")
    )
    with pytest.raises(CompileError) as err:
        compile_verified(repo, date(2026, 11, 23))
    assert [d.code for d in err.value.diagnostics] == ["E322"]
