"""The scenario generator (`pnm scenario`): seeded days at Rotterdam and Schiphol with the ground
truth of every manifest line, one module per concern (tests/data/corpus/README.md, "Scenario
corpus"): the world (world.py, consignments.py), the cases (cases.py, keys.py, feeds.py,
families.py), the truth (truth.py) and the output (manifest.py, output.py), put together by
day.py; the catalogue they draw from is data (catalogue.py, pnm/cli/data/scenario/)."""
