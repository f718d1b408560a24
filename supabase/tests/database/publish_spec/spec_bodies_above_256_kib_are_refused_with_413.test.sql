begin;
select plan(4);

select tests.seed();
select tests.authenticate_as('admin');

-- {"blob": "xx…x"} is 12 bytes of JSON text around its string.
select is(
    octet_length(jsonb_build_object('blob', repeat('x', 262144 - 12))::text), 262144,
    'the edge document is exactly 256 KiB'
);
select is(
    (
        select s.name from public.publish_spec(
            tests.workspace_id(), 'big', '1', jsonb_build_object('blob', repeat('x', 262144 - 12))
        ) as s
    ),
    'big', 'a body of exactly 256 KiB is published'
);
select throws_ok(
    $$ select public.publish_spec(tests.workspace_id(), 'big', '2', jsonb_build_object('blob', repeat('x', 262144 - 11))) $$,
    'PT413', 'body is too large: 262145 bytes, the limit is 262144 bytes', 'one byte more is refused with 413'
);
select throws_ok(
    $$ select public.publish_spec(tests.workspace_id(), 'big', '3', jsonb_build_object('blob', repeat('x', 10 * 1024 * 1024))) $$,
    'PT413', null, 'a 10 MB body is refused'
);

select * from finish();
rollback;
