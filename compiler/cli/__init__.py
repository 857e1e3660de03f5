"""The `byok` command line: one module per command group, all depending on `common` only.

- `main`: the argument parser and dispatch (the console script's entry point).
- `common`: the exit codes (the one list `byok --help` prints), "today", diagnostics printing.
- `generate`: `byok generate` and `byok docs` (the compiler pipeline).
- `diff`: `byok diff` (the review gate).
- `semantics`: `byok eval` and `byok compare` (the policy engine alone).
- `init`: `byok init` (scaffold an organization repository from the shipped files).
- `catalog`: `byok vendors` and `byok schema`.
- `audit`: `byok audit`, `byok activity`, `byok cost` (the live account).
- `import_material`: `byok import-material`.
- `formats`: `generate --format json|sarif` renderings of the diagnostics.

`main` imports a command's module only when that command runs (`COMMANDS`), so the start-up of
`byok --help` pays for no heavy dependency.
"""
