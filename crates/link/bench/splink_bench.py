#!/usr/bin/env python3
"""Splink (v4/v5 API, DuckDB backend) on the same CSV files as `votebase bench link`.

Runs the configuration `votebase link` infers for these files, translated to Splink:

* the same input columns, normalised the way votebase normalises them (lower case, letters
  only for names; YYYYMMDD dates and a birth year taken from the date when only it is given;
  ZIP5; phone as its last ten digits; a house number split off the street when there is no
  house-number column);
* the same blocking rules (those whose columns are filled on both sides), with the phonetic
  keys as metaphone codes computed with `jellyfish` (votebase uses Double Metaphone);
* comparisons for first name, last name, middle name, date of birth / birth year, address
  (house number + street), ZIP/city, phone, email and the shared id, each only when the
  column is filled on both sides, with term-frequency adjustment on the names;
* unsupervised training as Splink's documentation describes: the prior from deterministic
  rules, u by random sampling, m by EM over two blocking rules; then predict at the threshold,
  write the pairs as CSV and cluster them (as `votebase link --out --clusters` does).

Prints one JSON object: seconds (inside the script, from reading the CSVs to the written
clusters), precision, recall, F1 against the truth file, pairs, peak RSS (MiB).

Usage:
    splink_bench.py --a a.csv [--b b.csv] --truth truth.csv --out DIR [--threshold 0.9]
                    [--drop-column soc_sec_id]
"""

import argparse
import json
import resource
import sys
import time

import duckdb
import jellyfish
import splink.comparison_library as cl
import splink.comparison_level_library as cll
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

# Column roles by (normalised) header name, as votebase's infer_config guesses them.
ROLES = {
    "record_id": ["record_id", "rec_id", "id"],
    "first_name": ["first_name", "given_name"],
    "middle_name": ["middle_name"],
    "last_name": ["last_name", "surname"],
    "birth_date": ["birth_date", "date_of_birth", "dob"],
    "birth_year": ["birth_year"],
    "house_number": ["house_number", "street_number"],
    "street": ["street", "address_1"],
    "address2": ["address2", "address_2"],
    "city": ["city", "suburb"],
    "state": ["state"],
    "zip": ["zip", "postcode"],
    "phone": ["phone"],
    "email": ["email"],
    "voter_id": ["voter_id", "soc_sec_id", "ncid"],
}


# Street-type and direction abbreviations, as votebase's normaliser applies them.
ABBREVIATIONS = {
    "street": "st", "avenue": "ave", "av": "ave", "road": "rd", "drive": "dr", "lane": "ln",
    "court": "ct", "place": "pl", "boulevard": "blvd", "circle": "cir", "crescent": "cres",
    "terrace": "tce", "highway": "hwy", "parkway": "pkwy", "square": "sq", "north": "n",
    "south": "s", "east": "e", "west": "w", "apartment": "apt", "suite": "ste",
}


def street_norm(s):
    """Lower case, punctuation dropped, suffixes and directions abbreviated."""
    if not s:
        return None
    s = "".join(c.lower() if c.isalnum() else ("" if c in "'." else " ") for c in s)
    out = " ".join(ABBREVIATIONS.get(t, t) for t in s.split())
    return out or None


def column_map(con, path, drop):
    cols = [
        r[0]
        for r in con.execute(
            f"DESCRIBE SELECT * FROM read_csv('{path}', all_varchar=true, header=true)"
        ).fetchall()
    ]
    found = {}
    for role, names in ROLES.items():
        for n in names:
            if n in cols and n not in drop:
                found[role] = n
                break
    return found


def run(con, sql):
    """Executes SQL and consumes its result (DuckDB 2 requires it before the next query)."""
    return con.execute(sql).fetchall()


def name_sql(c):
    return f"nullif(regexp_replace(lower(trim({c})), '[^a-z ]', '', 'g'), '')"


def prepare(con, path, table, cmap):
    """Loads one CSV into `table` with canonical, normalised columns."""

    def col(role):
        return f'"{cmap[role]}"' if role in cmap else "NULL"

    # A house number is split off the street when the row has none of its own.
    street = col("street")
    house = (
        f"coalesce(nullif(lower(trim({col('house_number')})), ''), "
        f"nullif(regexp_extract(lower(trim({street})), '^([0-9][0-9a-z/-]*)\\s', 1), ''))"
    )
    street = f"street_norm(regexp_replace(trim({street}), '^[0-9][0-9a-zA-Z/-]*\\s+', ''))"
    # Dates as YYYYMMDD from YYYYMMDD, YYYY-MM-DD or M/D/YYYY (invalid dates kept as text,
    # like votebase, so that a typo still compares by edit distance).
    d = f"trim({col('birth_date')})"
    dob = f"""CASE
        WHEN regexp_matches({d}, '^[0-9]{{8}}$') THEN {d}
        WHEN regexp_matches({d}, '^[0-9]{{4}}-[0-9]{{1,2}}-[0-9]{{1,2}}$')
            THEN strftime(try_strptime({d}, '%Y-%m-%d'), '%Y%m%d')
        WHEN regexp_matches({d}, '^[0-9]{{1,2}}/[0-9]{{1,2}}/[0-9]{{4}}$')
            THEN strftime(try_strptime({d}, '%m/%d/%Y'), '%Y%m%d')
        END"""
    run(
        con,
        f"""
        CREATE OR REPLACE TABLE {table} AS
        WITH raw AS (SELECT * FROM read_csv('{path}', all_varchar=true, header=true))
        SELECT
            {col('record_id')} AS unique_id,
            {name_sql(col('first_name'))} AS first_name,
            {name_sql(col('middle_name'))} AS middle_name,
            {name_sql(col('last_name'))} AS last_name,
            CASE WHEN length({dob}) = 8 THEN {dob} END AS dob,
            coalesce(nullif(trim({col('birth_year')}), ''),
                     CASE WHEN length({dob}) = 8 THEN substr({dob}, 1, 4) END) AS birth_year,
            {house} AS house_number,
            {street} AS street,
            nullif(lower(trim({col('address2')})), '') AS address2,
            {name_sql(col('city'))} AS city,
            nullif(lower(trim({col('state')})), '') AS state,
            nullif(substr(regexp_replace({col('zip')}, '[^0-9]', '', 'g'), 1, 5), '') AS zip5,
            nullif(right(regexp_replace({col('phone')}, '[^0-9]', '', 'g'), 10), '') AS phone,
            nullif(lower(trim({col('email')})), '') AS email,
            nullif(lower(trim({col('voter_id')})), '') AS voter_id
        FROM raw
        """
    )
    run(
        con,
        f"""
        ALTER TABLE {table} ADD COLUMN first_phon VARCHAR;
        ALTER TABLE {table} ADD COLUMN last_phon VARCHAR;
        UPDATE {table} SET first_phon = phon(first_name), last_phon = phon(last_name);
        ALTER TABLE {table} ADD COLUMN names_unordered VARCHAR;
        UPDATE {table} SET names_unordered = CASE
            WHEN first_phon IS NOT NULL AND last_phon IS NOT NULL
            THEN least(first_phon, last_phon) || '|' || greatest(first_phon, last_phon) END;
        """
    )


def filled(con, tables, column):
    return all(
        con.execute(f"SELECT count({column}) FROM {t}").fetchall()[0][0] > 0 for t in tables
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--a", required=True)
    ap.add_argument("--b")
    ap.add_argument("--truth", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--threshold", type=float, default=0.9)
    ap.add_argument("--drop-column", action="append", default=[])
    ap.add_argument("--model-json", help="also save the trained model here")
    args = ap.parse_args()

    t0 = time.perf_counter()
    con = duckdb.connect()

    def phon(s):
        return (jellyfish.metaphone(s) or None) if s else None

    con.create_function("phon", phon, ["VARCHAR"], "VARCHAR", null_handling="special")
    con.create_function(
        "street_norm", street_norm, ["VARCHAR"], "VARCHAR", null_handling="special"
    )
    tables = ["in_a"] if args.b is None else ["in_a", "in_b"]
    cmap_a = column_map(con, args.a, set(args.drop_column))
    prepare(con, args.a, "in_a", cmap_a)
    if args.b is not None:
        prepare(con, args.b, "in_b", column_map(con, args.b, set(args.drop_column)))

    has = {c: filled(con, tables, c) for c in [
        "first_name", "middle_name", "last_name", "dob", "birth_year", "house_number",
        "street", "address2", "city", "zip5", "phone", "email", "voter_id",
    ]}

    # Blocking rules: votebase's defaults for the filled columns, in its order.
    rules = []
    if has["voter_id"]:
        rules.append(block_on("voter_id"))
    if has["email"]:
        rules.append(block_on("email"))
    if has["phone"]:
        rules.append(block_on("phone"))
    if has["last_name"] and has["birth_year"]:
        rules.append(block_on("last_name", "birth_year"))
    if has["first_name"] and has["zip5"]:
        rules.append(block_on("first_name", "zip5"))
    if has["last_name"] and has["house_number"]:
        rules.append(block_on("last_phon", "house_number"))
    if has["dob"]:
        rules.append(block_on("dob"))
    if has["zip5"] and has["house_number"]:
        rules.append(block_on("zip5", "house_number"))
    if has["first_name"] and has["last_name"]:
        rules.append(block_on("names_unordered"))
    if has["street"] and has["house_number"]:
        rules.append(block_on("street", "house_number"))

    comparisons = []
    if has["first_name"]:
        comparisons.append(
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True)
        )
    if has["last_name"]:
        comparisons.append(
            cl.NameComparison("last_name").configure(term_frequency_adjustments=True)
        )
    if has["middle_name"]:
        comparisons.append(
            cl.CustomComparison(
                output_column_name="middle_name",
                comparison_levels=[
                    cll.NullLevel("middle_name"),
                    cll.ExactMatchLevel("middle_name"),
                    cll.CustomLevel(
                        "substr(middle_name_l, 1, 1) = substr(middle_name_r, 1, 1)",
                        label_for_charts="initial",
                    ),
                    cll.ElseLevel(),
                ],
            )
        )
    if has["birth_year"]:
        levels = [cll.NullLevel("birth_year")]
        if has["dob"]:
            levels += [
                cll.ExactMatchLevel("dob"),
                cll.DamerauLevenshteinLevel("dob", 1),
            ]
        levels += [
            cll.ExactMatchLevel("birth_year"),
            cll.CustomLevel(
                "abs(try_cast(birth_year_l AS INTEGER) - try_cast(birth_year_r AS INTEGER)) <= 1",
                label_for_charts="year off by one",
            ),
            cll.ElseLevel(),
        ]
        comparisons.append(
            cl.CustomComparison(output_column_name="birth", comparison_levels=levels)
        )
    if has["street"] or has["zip5"] or has["city"]:
        # One address comparison over house number, street, ZIP and city (as votebase's
        # `address`), so that correlated address fields do not count several times.
        levels = [
            cll.CustomLevel(
                "(street_l IS NULL OR street_r IS NULL) AND (zip5_l IS NULL OR zip5_r IS NULL)"
                " AND (city_l IS NULL OR city_r IS NULL)",
            ).configure(is_null_level=True)
        ]
        if has["street"]:
            levels += [
                cll.CustomLevel(
                    "house_number_l = house_number_r AND street_l = street_r",
                    label_for_charts="same address",
                ),
                cll.CustomLevel(
                    "house_number_l = house_number_r"
                    " AND jaro_winkler_similarity(street_l, street_r) >= 0.9",
                    label_for_charts="same house, street jw >= 0.9",
                ),
                cll.ExactMatchLevel("street"),
            ]
        if has["zip5"]:
            levels.append(cll.ExactMatchLevel("zip5"))
        if has["city"]:
            levels.append(cll.ExactMatchLevel("city"))
        levels.append(cll.ElseLevel())
        comparisons.append(
            cl.CustomComparison(output_column_name="address", comparison_levels=levels)
        )
    for c in ["phone", "email", "voter_id"]:
        if has[c]:
            comparisons.append(cl.ExactMatch(c))
    if has["address2"]:
        comparisons.append(cl.ExactMatch("address2"))
    settings = SettingsCreator(
        link_type="dedupe_only" if args.b is None else "link_only",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=rules,
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    db_api = DuckDBAPI(connection=con)
    inputs = [db_api.register(t) for t in tables]
    linker = Linker(inputs if len(inputs) > 1 else inputs[0], settings, log_level=None)

    # Training without labels (Splink docs, "Estimating model parameters").
    deterministic = []
    if has["phone"] and has["last_name"]:
        deterministic.append(block_on("phone", "last_name"))
    if has["first_name"] and has["last_name"] and has["birth_year"]:
        deterministic.append(block_on("first_name", "last_name", "birth_year"))
    if has["voter_id"]:
        deterministic.append(block_on("voter_id"))
    if deterministic:
        linker.training.estimate_probability_two_random_records_match(
            deterministic, recall=0.7
        )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    sessions = []
    if has["last_name"] and has["birth_year"]:
        sessions.append(block_on("last_name", "birth_year"))
    if has["first_name"] and has["zip5"]:
        sessions.append(block_on("first_name", "zip5"))
    if has["street"] and has["house_number"]:
        sessions.append(block_on("street", "house_number"))
    for br in sessions[:2]:
        linker.training.estimate_parameters_using_expectation_maximisation(br)

    if args.model_json:
        linker.misc.save_model_to_json(args.model_json, overwrite=True)
    pred = linker.inference.predict(threshold_match_probability=args.threshold)
    pred.to_csv(f"{args.out}/splink_pairs.csv", overwrite=True)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        pred, args.threshold
    )
    clusters.to_csv(f"{args.out}/splink_clusters.csv", overwrite=True)
    seconds = time.perf_counter() - t0

    # Accuracy over pairs (unordered when deduplicating).
    pt = pred.physical_name
    run(
        con,
        f"CREATE TABLE truth AS SELECT * FROM read_csv('{args.truth}', all_varchar=true)"
    )
    t1, t2 = [r[0] for r in con.execute("DESCRIBE truth").fetchall()][:2]
    if args.b is None:
        found = f"SELECT DISTINCT least(unique_id_l, unique_id_r) AS x, greatest(unique_id_l, unique_id_r) AS y FROM {pt}"
        truth = f"SELECT DISTINCT least({t1}, {t2}) AS x, greatest({t1}, {t2}) AS y FROM truth"
    else:
        found = f"SELECT DISTINCT unique_id_l AS x, unique_id_r AS y FROM {pt}"
        truth = f"SELECT DISTINCT {t1} AS x, {t2} AS y FROM truth"
    n_found = con.execute(f"SELECT count(*) FROM ({found})").fetchall()[0][0]
    n_truth = con.execute(f"SELECT count(*) FROM ({truth})").fetchall()[0][0]
    tp = con.execute(f"SELECT count(*) FROM ({found}) f JOIN ({truth}) t USING (x, y)").fetchall()[0][0]
    precision = tp / n_found if n_found else 0.0
    recall = tp / n_truth if n_truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    json.dump(
        {
            "seconds": seconds,
            "pairs": n_found,
            "tp": tp,
            "fp": n_found - tp,
            "fn": n_truth - tp,
            "truth": n_truth,
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "peak_rss_mib": peak,
            "splink": __import__("splink").__version__,
            "blocking_rules": len(rules),
            "comparisons": len(comparisons),
        },
        sys.stdout,
    )
    print()


if __name__ == "__main__":
    main()
