begin;
select plan(3);

-- SETUP
select tests.seed();
select tests.authenticate_as('operator');

-- TEST: an unknown name, version or hash is not found
select throws_ok(
    $$ select public.submit_run(tests.workspace_id(), 'nope') $$,
    'PT404', null, 'an unknown spec name is not found'
);
select throws_ok(
    $$ select public.submit_run(tests.workspace_id(), 'etl', spec_version => '99') $$,
    'PT404', null, 'an unknown version is not found'
);
select throws_ok(
    $$ select public.submit_run(tests.workspace_id(), spec_hash => repeat('0', 64)) $$,
    'PT404', null, 'an unknown hash is not found'
);

select * from finish();
rollback;
