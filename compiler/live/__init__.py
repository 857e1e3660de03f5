"""Live AWS: what is deployed, compared with what `generated/` says (`byok audit`), who used the
keys (`byok activity`), and key material imported into a key (`byok import-material`,
`kms_import`). Only the command line imports this package (tests/test_style.py).

boto3 is optional (the `aws` extra: `pip install '<the byok wheel>[aws]'`) and imported only
when a live command runs (`aws.Clients`). Credentials come from the standard chain, the Region from
`generated/organization.json`, and `AWS_ENDPOINT_URL` (honoured by botocore itself) points the
clients at an emulator. The policy comparison is the engine's (`byok.policy.compare`); this
package only reads, compares and formats: it never changes anything in the account, except
`kms_import`, which imports the key material an operator hands it into the key named.
"""
