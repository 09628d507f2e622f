"""The enterprise demands ledger (诉求工作台账, seed 000 (二十二))."""
