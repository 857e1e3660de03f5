"""The IAM policy engine for KMS key policies: read, evaluate and compare them offline.

This package knows nothing of YAML, `org.yaml`, vendors, diagnostics or the command line; the
compiler pipeline and the CLI build on it, never the other way round (tests/test_style.py).

What it promises:

- `iam`: a typed, frozen policy IR. `Policy.from_json` parses a key-policy document (raising
  `PolicyFormatError`); `Policy.to_json` writes the canonical form the compiler commits.
- `catalog`: the KMS action catalog and condition-key facts (`data/*.json`, each with sources),
  wildcard expansion and "did you mean" suggestions.
- `request`, `context`: a request AWS could receive (a request principal of `principals.SHAPES`,
  ASCII key names, one value for a single-valued key), completed with the keys AWS sets from
  the principal on every request (`aws:PrincipalArn`, the role's for a session, ...).
- `evaluate`: the concrete evaluator. One request against one policy, with AWS's evaluation
  logic (explicit Deny wins, then Allow, else implicit deny), every condition-operator family
  (`condops`) and AWS's missing-key rules; a request whose decision depends on a reading
  AWS does not document (`principals.READINGS`) is refused. Allows are three-valued: `allow`
  (the key policy alone), `allow_if_iam` (an IAM policy must also allow: account-root
  delegation, or another account's principal), given the key's account (`principals`).
  `decision` holds the answer; `compiled` the memos that make thousands of keys cheap to
  prove (statements and policies compiled once, decisions shared between equal views).
- `compare`: the Zelkova-style comparer. How NEW relates to OLD over every request
  (`equivalent`, `narrower`, `wider`, `incomparable`), over every action name (the catalog
  and the ones it does not list), with a concrete request for each difference replayed
  through the evaluator; `unknown` with a reason when it cannot decide or when a policy uses a
  construct whose AWS behaviour is undocumented (`condops.ambiguity`), or when a difference
  exists only under a reading AWS leaves open. Witnesses replay through the evaluator.
  `actions` splits the action names into classes, `plan` sizes the request, `symbolic`
  encodes a policy for z3; `strsolve` and `matching` solve the string constraints.
  `fastpath` first tries a proof from the structure alone (monotone changes: Denies added,
  principals or condition values added/removed) with evaluator-confirmed witnesses.

What it does not model: identity-based (IAM) policies, SCPs/RCPs, permission boundaries,
session policies, grants, VPC endpoint policies and policy variables. A key-policy statement
naming the key's own account root only delegates to those IAM policies; the engine cannot see
them, and says which decisions rest on them (`allow_if_iam`).
"""
