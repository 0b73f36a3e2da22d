"""MikroTik RouterOS v7: quoting (`words`), configuration items and their diff (`items`), and the change in
safe mode (`change`)."""
