"""Clawback (追回): recovery orders for awards a certificate revoked for false declaration caused."""
