"""Population data as a plugin: look a resident up in the national population database
(Cơ sở dữ liệu quốc gia về dân cư) through the data-sharing platform, with the citizen's
consent, so the details of another person on a form (the baby's other parent) are
confirmed, not typed. `client` is what motcua calls; `simulator` stands in for the
service in the demo and the tests; `people` holds the demo residents both the VNeID and
the population simulators know."""
