-- NCT05532943's 19 eligibility criteria written by hand in DuckDB SQL over the logical tables
-- (patient, diagnoses, relapses, mri_scans, edss, labs, medications, attestations).
-- benchmarks/bench_prescreen.py times it against the query trialkit compiles from the protocol
-- and checks that both give identical statuses. Value sets and fallback ULNs are copied from
-- protocols/nct05532943.yaml; semantics follow trialkit.core.eligibility (windows
-- (anchor − N, anchor], latest-date ties, absence only inside the observation period).
-- Statuses are booleans until the end: true = met, false = not_met, null = unknown.
WITH p AS (
    SELECT patient_id, sex, birth_date, consent_date, index_date AS idx, obs_start, obs_end,
           CAST(index_date - INTERVAL 1 MONTH AS DATE) AS m1,
           CAST(index_date - INTERVAL 6 MONTH AS DATE) AS m6,
           CAST(index_date - INTERVAL 12 MONTH AS DATE) AS m12,
           CAST(index_date - INTERVAL 24 MONTH AS DATE) AS m24,
           CAST(index_date - INTERVAL 28 DAY AS DATE) AS d28
    FROM patient
),
cov AS (  -- does the observation period cover the window (its first day capped at birth)?
    SELECT patient_id,
           coalesce(idx <= obs_end AND (obs_start IS NULL
                    OR (birth_date IS NOT NULL AND birth_date >= obs_start)), false) AS c_all,
           coalesce(idx <= obs_end AND (obs_start IS NULL OR (CASE WHEN birth_date IS NOT NULL
                    AND m1 + 1 < birth_date THEN birth_date ELSE m1 + 1 END) >= obs_start),
                    false) AS c_m1,
           coalesce(idx <= obs_end AND (obs_start IS NULL OR (CASE WHEN birth_date IS NOT NULL
                    AND m6 + 1 < birth_date THEN birth_date ELSE m6 + 1 END) >= obs_start),
                    false) AS c_m6,
           coalesce(idx <= obs_end AND (obs_start IS NULL OR (CASE WHEN birth_date IS NOT NULL
                    AND m12 + 1 < birth_date THEN birth_date ELSE m12 + 1 END) >= obs_start),
                    false) AS c_m12,
           coalesce(idx <= obs_end AND (obs_start IS NULL OR (CASE WHEN birth_date IS NOT NULL
                    AND m24 + 1 < birth_date THEN birth_date ELSE m24 + 1 END) >= obs_start),
                    false) AS c_m24,
           coalesce(idx <= obs_end AND (obs_start IS NULL OR (CASE WHEN birth_date IS NOT NULL
                    AND d28 + 1 < birth_date THEN birth_date ELSE d28 + 1 END) >= obs_start),
                    false) AS c_d28
    FROM p
),
att AS (
    SELECT patient_id,
           bool_or(value) FILTER (WHERE key = 'willing_to_consent') AS willing,
           bool_or(value) FILTER (WHERE key = 'childbearing_potential') AS cbp,
           bool_or(value) FILTER (WHERE key = 'agrees_to_contraception') AS contra,
           bool_or(value) FILTER (WHERE key = 'pregnant') AS pregnant,
           bool_or(value) FILTER (WHERE key = 'lactating') AS lactating,
           bool_or(value) FILTER (WHERE key = 'mri_contraindicated') AS no_mri,
           bool_or(value) FILTER (WHERE key = 'immunocompromised') AS immuno,
           bool_or(value) FILTER (WHERE key = 'active_infection_systemic_treatment') AS infection,
           bool_or(value) FILTER (WHERE key = 'investigator_deems_unsuitable') AS unsuitable
    FROM attestations GROUP BY patient_id
),
dx_rows AS (
    SELECT d.patient_id, d.code, d.date,
           d.code IN ('SNOMED:426373005', 'SNOMED:425500002', 'SNOMED:428700003') AS course
    FROM diagnoses d JOIN p USING (patient_id) WHERE d.date <= p.idx
),
dx AS (
    SELECT patient_id,
           min(date) FILTER (WHERE code IN ('SNOMED:24700007', 'SNOMED:426373005',
               'SNOMED:425500002', 'SNOMED:428700003') OR code LIKE 'ICD10:G35%') AS ms_first,
           max(date) FILTER (WHERE course) AS course_last,
           bool_or(code LIKE 'ICD10:C%' OR code IN ('SNOMED:363346000', 'SNOMED:254837009',
               'SNOMED:363406005', 'SNOMED:372244006', 'SNOMED:118600007', 'SNOMED:93143009')
               OR code LIKE 'ICD10:G60%' OR code LIKE 'ICD10:G61%' OR code LIKE 'ICD10:G62%'
               OR code LIKE 'ICD10:G63%' OR code LIKE 'ICD10:G64%'
               OR code IN ('SNOMED:302226006', 'SNOMED:42345000')
               OR code LIKE 'ICD10:G71%' OR code LIKE 'ICD10:G72%' OR code LIKE 'ICD10:G73%'
               OR code = 'SNOMED:129565002'
               OR code LIKE 'ICD10:G10%' OR code LIKE 'ICD10:G12%' OR code LIKE 'ICD10:G20%'
               OR code LIKE 'ICD10:G30%' OR code LIKE 'ICD10:G36%' OR code LIKE 'ICD10:G37%'
               OR code LIKE 'ICD10:G40%' OR code LIKE 'ICD10:G70%' OR code LIKE 'ICD10:I60%'
               OR code LIKE 'ICD10:I61%' OR code LIKE 'ICD10:I63%'
               OR code IN ('SNOMED:25044007', 'SNOMED:49049000', 'SNOMED:26929004',
                   'SNOMED:84757009', 'SNOMED:86044005', 'SNOMED:91637004',
                   'SNOMED:230690007')) AS e5_found,
           bool_or(code LIKE 'ICD10:B20%' OR code LIKE 'ICD10:B21%' OR code LIKE 'ICD10:B22%'
               OR code LIKE 'ICD10:B23%' OR code LIKE 'ICD10:B24%' OR code LIKE 'ICD10:Z21%'
               OR code LIKE 'ICD10:D80%' OR code LIKE 'ICD10:D81%' OR code LIKE 'ICD10:D82%'
               OR code LIKE 'ICD10:D83%' OR code LIKE 'ICD10:D84%'
               OR code IN ('SNOMED:86406008', 'SNOMED:234532001')) AS immunodeficiency,
           bool_or(code LIKE 'ICD10:M05%' OR code LIKE 'ICD10:M06%' OR code LIKE 'ICD10:M32%'
               OR code LIKE 'ICD10:M33%' OR code LIKE 'ICD10:M34%' OR code LIKE 'ICD10:M35.0%'
               OR code LIKE 'ICD10:M45%' OR code LIKE 'ICD10:K50%' OR code LIKE 'ICD10:K51%'
               OR code LIKE 'ICD10:K75.4%' OR code LIKE 'ICD10:D59.1%'
               OR code LIKE 'ICD10:D69.3%'
               OR code IN ('SNOMED:69896004', 'SNOMED:55464009', 'SNOMED:34000006',
                   'SNOMED:64766004', 'SNOMED:89155008', 'SNOMED:83901003')) AS autoimmune
    FROM dx_rows GROUP BY patient_id
),
course AS (  -- the MS course on the latest course diagnosis; same-day codes must agree
    SELECT r.patient_id,
           CASE WHEN count(*) FILTER (WHERE r.code = 'SNOMED:426373005') = count(*) THEN true
                WHEN count(*) FILTER (WHERE r.code = 'SNOMED:426373005') = 0 THEN false
           END AS rrms,
           CASE WHEN count(*) FILTER (WHERE r.code = 'SNOMED:425500002') = count(*) THEN true
                WHEN count(*) FILTER (WHERE r.code = 'SNOMED:425500002') = 0 THEN false
           END AS spms
    FROM dx_rows r JOIN dx USING (patient_id)
    WHERE r.course AND r.date = dx.course_last GROUP BY r.patient_id
),
rel AS (
    SELECT r.patient_id,
           count(*) FILTER (WHERE r.onset_date > p.m1) AS n1,
           count(*) FILTER (WHERE r.onset_date > p.m12) AS n12,
           count(*) FILTER (WHERE r.onset_date > p.m24) AS n24
    FROM relapses r JOIN p USING (patient_id) WHERE r.onset_date <= p.idx GROUP BY r.patient_id
),
mri AS (
    SELECT m.patient_id,
           bool_or(coalesce(m.gd_enhancing_lesions >= 1 OR m.new_t2_lesions >= 1, false))
               AS active,
           bool_or((m.gd_enhancing_lesions >= 1 OR m.new_t2_lesions >= 1) IS NULL) AS active_q,
           bool_or(coalesce(m.gd_enhancing_lesions >= 1, false)) AS gd,
           bool_or(m.gd_enhancing_lesions IS NULL) AS gd_q
    FROM mri_scans m JOIN p USING (patient_id)
    WHERE m.date > p.m12 AND m.date <= p.idx GROUP BY m.patient_id
),
edss_screen AS (
    SELECT e.patient_id, e.date, e.score,
           max(e.date) OVER (PARTITION BY e.patient_id) AS last
    FROM edss e JOIN p USING (patient_id) WHERE e.date > p.d28 AND e.date <= p.idx
),
edss_latest AS (
    SELECT patient_id,
           CASE WHEN count(*) FILTER (WHERE score >= 2.0) = count(*) THEN true
                WHEN count(*) FILTER (WHERE score < 2.0) = count(*) THEN false END
           AND CASE WHEN count(*) FILTER (WHERE score <= 6.5) = count(*) THEN true
                    WHEN count(*) FILTER (WHERE score > 6.5) = count(*) THEN false END
               AS in_range
    FROM edss_screen WHERE date = last GROUP BY patient_id
),
edss_24 AS (
    SELECT e.patient_id, e.date, e.score,
           min(e.date) OVER (PARTITION BY e.patient_id) AS first,
           max(e.date) OVER (PARTITION BY e.patient_id) AS last
    FROM edss e JOIN p USING (patient_id) WHERE e.date > p.m24 AND e.date <= p.idx
),
worsening AS (  -- every (earliest, latest) pair of scores must agree
    SELECT a.patient_id,
           CASE WHEN bool_and(b.score - a.score >= CASE WHEN a.score <= 5.0 THEN 1.0 ELSE 0.5 END)
                THEN true
                WHEN NOT bool_or(b.score - a.score >= CASE WHEN a.score <= 5.0 THEN 1.0
                                                          ELSE 0.5 END) THEN false
           END AS worse
    FROM edss_24 a JOIN edss_24 b
      ON a.patient_id = b.patient_id AND a.date = a.first AND b.date = b.last
    WHERE a.first < a.last GROUP BY a.patient_id
),
lab_rows AS (
    SELECT l.patient_id, l.date, l.test, l.value, l.value_text, l.unit, l.uln,
           CASE WHEN l.test = 'LOINC:5902-2' THEN 'pt'
                WHEN l.test IN ('LOINC:14979-9', 'LOINC:3173-2') THEN 'aptt'
                WHEN l.test = 'LOINC:1920-8' THEN 'ast'
                WHEN l.test = 'LOINC:1742-6' THEN 'alt'
                WHEN l.test IN ('LOINC:98979-8', 'LOINC:62238-1', 'LOINC:33914-3') THEN 'egfr'
                WHEN l.test = 'LOINC:1558-6' THEN 'glucose'
                WHEN l.test IN ('LOINC:2118-8', 'LOINC:2106-3') THEN 'hcg' END AS grp
    FROM labs l JOIN p USING (patient_id) WHERE l.date > p.d28 AND l.date <= p.idx
),
lab_latest AS (
    SELECT *, max(date) OVER (PARTITION BY patient_id, grp) AS last,
           -- the result's own ULN, else the protocol's fallback in the result's unit
           CASE WHEN value IS NULL OR unit IS NULL THEN NULL
                ELSE value / coalesce(uln, CASE
                    WHEN test = 'LOINC:5902-2' AND unit = 's' THEN 13.5::DOUBLE
                    WHEN test IN ('LOINC:14979-9', 'LOINC:3173-2') AND unit = 's' THEN 35.0::DOUBLE
                    WHEN test IN ('LOINC:1920-8', 'LOINC:1742-6') AND unit IN ('U/L', 'IU/L')
                        THEN 40.0::DOUBLE
                    WHEN test IN ('LOINC:1920-8', 'LOINC:1742-6') AND unit = 'µkat/L'
                        THEN 40.0::DOUBLE / 60.0::DOUBLE END) END AS uln_ratio,
           CASE unit WHEN 'mg/dL' THEN value * 1.0::DOUBLE / 1.0::DOUBLE
                     WHEN 'mmol/L' THEN value * 1.0::DOUBLE * 18.016::DOUBLE / 1.0::DOUBLE
                     WHEN 'mg/L' THEN value * 0.1::DOUBLE / 1.0::DOUBLE
                     WHEN 'g/L' THEN value * 100.0::DOUBLE / 1.0::DOUBLE
                     WHEN 'µmol/L' THEN value * 0.001::DOUBLE * 18.016::DOUBLE / 1.0::DOUBLE
           END AS glucose_mg_dl
    FROM lab_rows WHERE grp IS NOT NULL AND grp <> 'hcg'
),
labs_judged AS (
    SELECT patient_id,
           CASE WHEN count(*) FILTER (WHERE grp = 'pt') = 0 THEN NULL
                WHEN count(*) FILTER (WHERE grp = 'pt' AND uln_ratio <= 1.5)
                     = count(*) FILTER (WHERE grp = 'pt') THEN true
                WHEN count(*) FILTER (WHERE grp = 'pt' AND uln_ratio > 1.5)
                     = count(*) FILTER (WHERE grp = 'pt') THEN false END AS pt_ok,
           CASE WHEN count(*) FILTER (WHERE grp = 'aptt') = 0 THEN NULL
                WHEN count(*) FILTER (WHERE grp = 'aptt' AND uln_ratio <= 1.5)
                     = count(*) FILTER (WHERE grp = 'aptt') THEN true
                WHEN count(*) FILTER (WHERE grp = 'aptt' AND uln_ratio > 1.5)
                     = count(*) FILTER (WHERE grp = 'aptt') THEN false END AS aptt_ok,
           CASE WHEN count(*) FILTER (WHERE grp = 'ast') = 0 THEN NULL
                WHEN count(*) FILTER (WHERE grp = 'ast' AND uln_ratio > 5.0)
                     = count(*) FILTER (WHERE grp = 'ast') THEN true
                WHEN count(*) FILTER (WHERE grp = 'ast' AND uln_ratio <= 5.0)
                     = count(*) FILTER (WHERE grp = 'ast') THEN false END AS ast_high,
           CASE WHEN count(*) FILTER (WHERE grp = 'alt') = 0 THEN NULL
                WHEN count(*) FILTER (WHERE grp = 'alt' AND uln_ratio > 5.0)
                     = count(*) FILTER (WHERE grp = 'alt') THEN true
                WHEN count(*) FILTER (WHERE grp = 'alt' AND uln_ratio <= 5.0)
                     = count(*) FILTER (WHERE grp = 'alt') THEN false END AS alt_high,
           CASE WHEN count(*) FILTER (WHERE grp = 'egfr') = 0 THEN NULL
                WHEN count(*) FILTER (WHERE grp = 'egfr' AND unit = 'mL/min/1.73m2'
                     AND value < 30.0) = count(*) FILTER (WHERE grp = 'egfr') THEN true
                WHEN count(*) FILTER (WHERE grp = 'egfr' AND unit = 'mL/min/1.73m2'
                     AND value >= 30.0) = count(*) FILTER (WHERE grp = 'egfr') THEN false
           END AS egfr_low,
           CASE WHEN count(*) FILTER (WHERE grp = 'glucose') = 0 THEN NULL
                WHEN count(*) FILTER (WHERE grp = 'glucose' AND glucose_mg_dl > 250.0)
                     = count(*) FILTER (WHERE grp = 'glucose') THEN true
                WHEN count(*) FILTER (WHERE grp = 'glucose' AND glucose_mg_dl <= 250.0)
                     = count(*) FILTER (WHERE grp = 'glucose') THEN false END AS glucose_high
    FROM lab_latest WHERE date = last GROUP BY patient_id
),
hcg AS (
    SELECT patient_id, bool_or(coalesce(value_text = 'positive', false)) AS positive,
           bool_or(value_text IS NULL) AS undecided
    FROM lab_rows WHERE grp = 'hcg' GROUP BY patient_id
),
med AS (  -- exposures overlapping (index − N months, index]
    SELECT m.patient_id,
           bool_or(m.ingredient = 'investigational product'
                   AND (m.end_date IS NULL OR m.end_date > p.m1)) AS ip_1m,
           bool_or(m.ingredient IN ('mitoxantrone', 'cyclophosphamide', 'methotrexate',
                   'azathioprine', 'cytarabine', 'fludarabine', 'doxorubicin', 'epirubicin',
                   'cisplatin', 'carboplatin', 'oxaliplatin', 'vincristine', 'etoposide',
                   'bendamustine', 'chlorambucil', 'melphalan', 'busulfan', 'fluorouracil',
                   'capecitabine', 'paclitaxel', 'docetaxel', 'gemcitabine', 'ifosfamide',
                   'bleomycin') AND (m.end_date IS NULL OR m.end_date > p.m1)) AS cytotoxic_1m,
           bool_or(m.ingredient IN ('azathioprine', 'mycophenolate mofetil',
                   'mycophenolic acid', 'ciclosporin', 'cyclosporine', 'tacrolimus',
                   'sirolimus', 'everolimus', 'methotrexate', 'leflunomide', 'cyclophosphamide',
                   'infliximab', 'adalimumab', 'etanercept', 'golimumab', 'certolizumab pegol',
                   'tocilizumab', 'abatacept', 'belimumab', 'anakinra', 'tofacitinib',
                   'baricitinib', 'upadacitinib')
                   AND (m.end_date IS NULL OR m.end_date > p.m6)) AS immunosuppressant_6m,
           bool_or(m.ingredient IN ('rituximab', 'ocrelizumab', 'ofatumumab', 'ublituximab',
                   'obinutuzumab') AND (m.end_date IS NULL OR m.end_date > p.m12)) AS cd20_12m
    FROM medications m JOIN p USING (patient_id) WHERE m.start_date <= p.idx
    GROUP BY m.patient_id
),
dmt_spans AS (  -- listed DMT taken > 6 months: events count from month 6 to 3 months after
    SELECT m.patient_id,
           CAST(m.start_date + INTERVAL 6 MONTH AS DATE) AS first_day,
           CASE WHEN m.end_date IS NULL THEN p.idx
                ELSE least(CAST(m.end_date + INTERVAL 3 MONTH AS DATE), p.idx) END AS last_day,
           CASE WHEN m.end_date IS NOT NULL AND m.end_date < p.idx THEN m.end_date
                ELSE p.idx END AS effective_end
    FROM medications m JOIN p USING (patient_id)
    WHERE m.start_date <= p.idx AND m.ingredient IN ('interferon beta-1a',
        'interferon beta-1b', 'peginterferon beta-1a', 'glatiramer acetate', 'glatiramer',
        'dimethyl fumarate', 'teriflunomide', 'fingolimod', 'ozanimod', 'cladribine',
        'siponimod', 'ofatumumab', 'natalizumab')
),
edss_days AS (
    SELECT DISTINCT patient_id, date FROM edss
),
edss_first AS (  -- each EDSS date's earliest EDSS date of the 24 months up to it
    SELECT l.patient_id, l.date AS day, min(b.date) AS first
    FROM edss_days l JOIN edss_days b ON b.patient_id = l.patient_id
         AND b.date > CAST(l.date - INTERVAL 24 MONTH AS DATE) AND b.date <= l.date
    GROUP BY l.patient_id, l.date
),
edss_pairs AS (  -- each EDSS row against the scores of that earliest date
    SELECT f.patient_id, f.day, l.score AS late, b.date AS base_day, b.score AS base, f.first
    FROM edss_first f
    JOIN edss l ON l.patient_id = f.patient_id AND l.date = f.day
    JOIN edss b ON b.patient_id = f.patient_id AND b.date = f.first
),
activity AS (
    SELECT patient_id, onset_date AS day, true AS certain FROM relapses
    UNION ALL
    SELECT patient_id, date, (new_t2_lesions >= 1 OR gd_enhancing_lesions >= 1) FROM mri_scans
    WHERE coalesce(new_t2_lesions >= 1 OR gd_enhancing_lesions >= 1, true)
    UNION ALL
    SELECT patient_id, day, certain FROM (
        SELECT patient_id, day,
               CASE WHEN bool_and(late - base >= CASE WHEN base <= 5.0 THEN 1.0 ELSE 0.5 END)
                    THEN true
                    WHEN NOT bool_or(late - base >= CASE WHEN base <= 5.0 THEN 1.0 ELSE 0.5 END)
                    THEN false END AS certain
        FROM edss_pairs WHERE base_day = first AND first < day GROUP BY patient_id, day, late)
    WHERE certain IS DISTINCT FROM false
),
failure AS (
    SELECT s.patient_id, bool_or(coalesce(a.certain, false)) AS certain, count(*) AS hits
    FROM dmt_spans s JOIN activity a ON a.patient_id = s.patient_id
         AND a.day >= s.first_day AND a.day <= s.last_day
    WHERE s.effective_end > s.first_day GROUP BY s.patient_id
),
age AS (
    SELECT patient_id,
           year(consent_date) - year(birth_date)
           - CASE WHEN month(consent_date) < month(birth_date)
                   OR (month(consent_date) = month(birth_date) AND day(consent_date) <
                       CASE WHEN month(birth_date) = 2 AND day(birth_date) = 29
                                 AND NOT ((year(consent_date) % 4 = 0
                                           AND year(consent_date) % 100 <> 0)
                                          OR year(consent_date) % 400 = 0)
                            THEN 28 ELSE day(birth_date) END)
                  THEN 1 ELSE 0 END AS years
    FROM p
),
flags AS (
    SELECT p.patient_id,
           att.willing AS i1,
           age.years >= 20 AND age.years <= 65 AS i2,
           (course.rrms AND (coalesce(rel.n12, 0) >= 1 OR CASE WHEN cov.c_m12 THEN false END
                             OR coalesce(rel.n24, 0) >= 2 OR CASE WHEN cov.c_m24 THEN false END
                             OR CASE WHEN mri.active THEN true WHEN mri.active_q THEN NULL
                                     WHEN cov.c_m12 THEN false END))
           OR (course.spms AND worsening.worse
               AND (coalesce(rel.n12, 0) >= 1 OR CASE WHEN cov.c_m12 THEN false END
                    OR CASE WHEN mri.gd THEN true WHEN mri.gd_q THEN NULL
                            WHEN cov.c_m12 THEN false END)) AS i3,
           dx.ms_first <= p.m24 AND dx.ms_first >= CAST(p.idx - INTERVAL 180 MONTH AS DATE)
           AND edss_latest.in_range AS i4,
           labs_judged.pt_ok AND labs_judged.aptt_ok AS i5,
           CASE WHEN failure.certain THEN true WHEN failure.hits > 0 THEN NULL
                WHEN cov.c_all THEN false END AS i6,
           p.sex = 'male' OR (p.sex = 'female' AND (NOT att.cbp OR att.contra)) AS i7,
           p.sex = 'female' AND (att.pregnant OR att.lactating
               OR CASE WHEN hcg.positive THEN true WHEN hcg.undecided THEN NULL
                       WHEN cov.c_d28 THEN false END
               OR (att.cbp AND NOT att.contra)) AS e1,
           labs_judged.glucose_high AS e2,
           labs_judged.ast_high OR labs_judged.alt_high OR labs_judged.egfr_low AS e3,
           att.no_mri AS e4,
           CASE WHEN dx.e5_found THEN true WHEN cov.c_all THEN false END AS e5,
           att.immuno
           OR CASE WHEN dx.immunodeficiency THEN true WHEN cov.c_all THEN false END
           OR CASE WHEN dx.autoimmune THEN true WHEN cov.c_all THEN false END
           OR CASE WHEN med.immunosuppressant_6m THEN true WHEN cov.c_m6 THEN false END AS e6,
           att.infection AS e7,
           CASE WHEN med.ip_1m THEN true WHEN cov.c_m1 THEN false END AS e8,
           CASE WHEN med.cytotoxic_1m THEN true WHEN cov.c_m1 THEN false END AS e9,
           CASE WHEN coalesce(rel.n1, 0) > 0 THEN true WHEN cov.c_m1 THEN false END AS e10,
           CASE WHEN med.cd20_12m THEN true WHEN cov.c_m12 THEN false END AS e11,
           att.unsuitable AS e12
    FROM p
    JOIN cov USING (patient_id) JOIN age USING (patient_id)
    LEFT JOIN att USING (patient_id) LEFT JOIN dx USING (patient_id)
    LEFT JOIN course USING (patient_id) LEFT JOIN rel USING (patient_id)
    LEFT JOIN mri USING (patient_id) LEFT JOIN edss_latest USING (patient_id)
    LEFT JOIN worsening USING (patient_id) LEFT JOIN labs_judged USING (patient_id)
    LEFT JOIN hcg USING (patient_id) LEFT JOIN med USING (patient_id)
    LEFT JOIN failure USING (patient_id)
)
SELECT CAST(patient_id AS VARCHAR) AS patient_id,  -- ids are text in every result
       CASE i1 WHEN true THEN 'met' WHEN false THEN 'not_met' ELSE 'unknown' END AS I1,
       CASE i2 WHEN true THEN 'met' WHEN false THEN 'not_met' ELSE 'unknown' END AS I2,
       CASE i3 WHEN true THEN 'met' WHEN false THEN 'not_met' ELSE 'unknown' END AS I3,
       CASE i4 WHEN true THEN 'met' WHEN false THEN 'not_met' ELSE 'unknown' END AS I4,
       CASE i5 WHEN true THEN 'met' WHEN false THEN 'not_met' ELSE 'unknown' END AS I5,
       CASE i6 WHEN true THEN 'met' WHEN false THEN 'not_met' ELSE 'unknown' END AS I6,
       CASE i7 WHEN true THEN 'met' WHEN false THEN 'not_met' ELSE 'unknown' END AS I7,
       CASE e1 WHEN true THEN 'met' WHEN false THEN 'not_met' ELSE 'unknown' END AS E1,
       CASE e2 WHEN true THEN 'met' WHEN false THEN 'not_met' ELSE 'unknown' END AS E2,
       CASE e3 WHEN true THEN 'met' WHEN false THEN 'not_met' ELSE 'unknown' END AS E3,
       CASE e4 WHEN true THEN 'met' WHEN false THEN 'not_met' ELSE 'unknown' END AS E4,
       CASE e5 WHEN true THEN 'met' WHEN false THEN 'not_met' ELSE 'unknown' END AS E5,
       CASE e6 WHEN true THEN 'met' WHEN false THEN 'not_met' ELSE 'unknown' END AS E6,
       CASE e7 WHEN true THEN 'met' WHEN false THEN 'not_met' ELSE 'unknown' END AS E7,
       CASE e8 WHEN true THEN 'met' WHEN false THEN 'not_met' ELSE 'unknown' END AS E8,
       CASE e9 WHEN true THEN 'met' WHEN false THEN 'not_met' ELSE 'unknown' END AS E9,
       CASE e10 WHEN true THEN 'met' WHEN false THEN 'not_met' ELSE 'unknown' END AS E10,
       CASE e11 WHEN true THEN 'met' WHEN false THEN 'not_met' ELSE 'unknown' END AS E11,
       CASE e12 WHEN true THEN 'met' WHEN false THEN 'not_met' ELSE 'unknown' END AS E12,
       CASE WHEN coalesce(NOT i1 OR NOT i2 OR NOT i3 OR NOT i4 OR NOT i5 OR NOT i6 OR NOT i7
                          OR e1 OR e2 OR e3 OR e4 OR e5 OR e6 OR e7 OR e8 OR e9 OR e10 OR e11
                          OR e12, false) THEN 'ineligible'
            WHEN coalesce(i1 AND i2 AND i3 AND i4 AND i5 AND i6 AND i7 AND NOT e1 AND NOT e2
                          AND NOT e3 AND NOT e4 AND NOT e5 AND NOT e6 AND NOT e7 AND NOT e8
                          AND NOT e9 AND NOT e10 AND NOT e11 AND NOT e12, false)
                 THEN 'eligible'
            ELSE 'incomplete' END AS verdict
FROM flags
