-- WebSub subscriptions of upstream sources (issue 17, the subscriber): one per (feed, source),
-- at the hub its document advertises. callback_id is the capability in the callback URL
-- (<base_url>websub/callback/<id>); secret keys the signatures the hub must send. state is
-- 'requested' (asked, not verified yet), 'active' (verified: renew_at set, before the hub's
-- lease ends), 'unsubscribing' or 'denied'. Times are RFC 3339 UTC text with seconds, by the store's clock.
CREATE TABLE websub_upstream (
    feed         TEXT NOT NULL,
    source       TEXT NOT NULL,
    callback_id  TEXT NOT NULL UNIQUE,
    hub          TEXT NOT NULL,
    topic        TEXT NOT NULL,
    secret       TEXT NOT NULL,
    state        TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    renew_at     TEXT,
    PRIMARY KEY (feed, source)
);
