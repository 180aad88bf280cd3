// Integration tests talk to a real broker and database: allow for group joins and rebalances.
jest.setTimeout(90_000);
