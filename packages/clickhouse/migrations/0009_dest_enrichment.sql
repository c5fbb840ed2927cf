-- Destination enrichment from MMDB files: the autonomous system and country of destIp, so analysts
-- see where AI traffic went (and apps can be recognised by their provider's ASN in IP-only logs).
ALTER TABLE events ADD COLUMN IF NOT EXISTS dest_asn Nullable(UInt32);

ALTER TABLE events ADD COLUMN IF NOT EXISTS dest_as_org LowCardinality(Nullable(String));

ALTER TABLE events ADD COLUMN IF NOT EXISTS dest_country LowCardinality(Nullable(String))
