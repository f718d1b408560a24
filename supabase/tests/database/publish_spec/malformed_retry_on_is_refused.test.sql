begin;
select plan(4);

-- SETUP
select tests.seed();
select tests.authenticate_as('admin');

-- TEST: retry_on is a list of short tokens, named by phase when it is not
select throws_ok(
    $$ select public.publish_spec(tests.workspace_id(), 'x', '1', '{"phases": [{"name": "a"}, {"name": "b", "retry_on": "transient"}]}') $$,
    '22023', 'invalid pipeline spec: body.phases[1].retry_on must be a list of failure kinds (transient, deterministic) or error classes',
    'a string is not a list'
);
select throws_ok(
    $$ select public.publish_spec(tests.workspace_id(), 'x', '1', '{"phases": [{"name": "a", "retry_on": ["has spaces"]}]}') $$,
    '22023', 'invalid pipeline spec: body.phases[0].retry_on entries must be 1-200 letters, digits, dots, colons, dashes or underscores',
    'entries are tokens'
);
select throws_ok(
    format($$ select public.publish_spec(tests.workspace_id(), 'x', '1', '{"phases": [{"name": "a", "retry_on": %s}]}') $$,
        (select jsonb_agg('E' || i) from generate_series(1, 51) as i)),
    '22023', 'invalid pipeline spec: body.phases[0].retry_on has more than 50 entries', 'the list is bounded'
);
select lives_ok(
    $$ select public.publish_spec(tests.workspace_id(), 'x', '1', '{"phases": [{"name": "a", "retry_on": ["transient", "python.KeyError"]}, {"name": "b", "retry_on": null}]}') $$,
    'kinds and error classes are accepted'
);

select * from finish();
rollback;
