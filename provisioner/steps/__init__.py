"""The SOP's steps, one module each: the step's rules and one run() returning its typed result."""
