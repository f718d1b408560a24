"""The control-plane client: the only code that knows RPC names. Typed in, typed out."""
