"""Whole bounce messages: MIME access (`message`), the detector protocol and the formats."""
