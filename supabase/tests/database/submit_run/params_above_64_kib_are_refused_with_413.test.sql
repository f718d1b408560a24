begin;
select plan(5);

select tests.seed();
select tests.authenticate_as('operator');

-- {"p": "xx…x"} is 9 bytes of JSON text around its string.
select is(
    octet_length(jsonb_build_object('p', repeat('x', 65536 - 9))::text), 65536,
    'the edge document is exactly 64 KiB'
);
select isnt(
    (select r.id from public.submit_run(tests.workspace_id(), 'etl', params => jsonb_build_object('p', repeat('x', 65536 - 9))) as r),
    null, 'params of exactly 64 KiB are accepted'
);
select throws_ok(
    $$ select public.submit_run(tests.workspace_id(), 'etl', params => jsonb_build_object('p', repeat('x', 65536 - 8))) $$,
    'PT413', 'params is too large: 65537 bytes, the limit is 65536 bytes', 'one byte more is refused with 413'
);
select throws_ok(
    $$ select public.submit_run(tests.workspace_id(), 'etl', params => jsonb_build_object('p', repeat('x', 10 * 1024 * 1024))) $$,
    'PT413', null, '10 MB of params are refused'
);
select is(
    (select count(*) from public.runs as r where r.workspace_id = tests.workspace_id()),
    1::bigint, 'only the run at the limit was queued'
);

select * from finish();
rollback;
