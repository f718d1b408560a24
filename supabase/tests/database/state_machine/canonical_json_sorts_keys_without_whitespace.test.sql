begin;
select plan(2);

-- TEST: canonical JSON sorts keys and drops whitespace
select is(
    private.canonical_json('{"b": [1, {"y": null, "x": "é"}], "a": true, "aa": 1.50}'),
    '{"a":true,"aa":1.50,"b":[1,{"x":"é","y":null}]}',
    'keys sorted by code point, no whitespace, arrays in order'
);

-- TEST: spec_hash is the SHA-256 of the canonical JSON
select is(
    private.spec_hash('{"a": 1}'),
    encode(sha256(convert_to('{"a":1}', 'UTF8')), 'hex'),
    'spec_hash is the SHA-256 of the canonical JSON'
);

select * from finish();
rollback;
