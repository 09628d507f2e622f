"""Status back to the channels that filed (the 12345 hotline, agency systems): signed callbacks
retried until acknowledged, a delivery log, and a change feed a channel may poll."""
