# The root module takes no variables: the Region and the account come from org.yaml, compiled
# into generated/organization.json (see main.tf), so a plan cannot target anything else.
