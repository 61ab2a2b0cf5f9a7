"""What the bundled schedulers (`schedulers.cron`, `schedulers.longrun`) share: the CLI plumbing (`cli`), the
server lifecycle (`server`), the standby-to-leader HTTP proxy (`proxy`) and the REST client base (`client`)."""
