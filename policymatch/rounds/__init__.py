"""Disbursement rounds: allocation, the lists a round writes, the ledger, and committing.

``policymatch run`` drafts a round (:mod:`.round`), people review it and publish 公示名单,
``policymatch commit`` records it in the ledger (:mod:`.ledger`) once. docs/rounds.md is the
finance bureau's guide to all of it.
"""
