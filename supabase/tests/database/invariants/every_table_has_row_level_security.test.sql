begin;
select plan(1);

-- TEST: every table has row level security
select is_empty(
    $$ select * from tests.tables_without_rls(array['public', 'private']) $$,
    'every table in public and private has row level security enabled'
);

select * from finish();
rollback;
