begin;
select plan(2);

-- TEST: anon executes only the allow-listed functions
select set_eq(
    $$ select * from tests.functions_executable_by_anon('public') $$,
    array['public.schema_version()'],
    'anon may execute only the allow-listed functions in public'
);

select is_empty(
    $$ select * from tests.functions_executable_by_anon('private') $$,
    'anon may execute nothing in private'
);

select * from finish();
rollback;
