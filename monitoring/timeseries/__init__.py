"""Everything that reads or writes TimescaleDB hypertables. No other package holds
time-series SQL."""
