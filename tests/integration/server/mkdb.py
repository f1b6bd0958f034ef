#!/usr/bin/env python3
"""mkdb.py - the fallback fixture of tests/integration/server.sh when tools/load-sample.sh cannot
run yet: prints SQL (for `sqlite3 -cmd '.load mod_spatialite'`) that creates a hazmap store with
the schema of geo/store.c, the sample's district and sub-district polygons (data/*.geojson) and
the first N incidents of data/incidents_2012_2014.csv, areas assigned in SQL with ST_Within.

usage: mkdb.py DATA_DIR N > fixture.sql"""
import csv
import json
import sys

data, n = sys.argv[1], int(sys.argv[2])


def q(v):
    if v is None or v == "":
        return "NULL"
    return "'" + str(v).replace("'", "''") + "'"


print("SELECT InitSpatialMetadata(1);")
print("BEGIN;")
print("""CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta VALUES('schema_version','1'),('data_version','1');
CREATE TABLE areas(code TEXT PRIMARY KEY, name TEXT NOT NULL, name_en TEXT,
 level TEXT NOT NULL CHECK(level IN ('district','subdistrict','community')),
 parent_code TEXT, population INTEGER);
SELECT AddGeometryColumn('areas','geom',4326,'MULTIPOLYGON','XY',1);
SELECT CreateSpatialIndex('areas','geom');
CREATE TABLE incidents(id INTEGER PRIMARY KEY, source TEXT NOT NULL, source_id TEXT NOT NULL,
 occurred_at TEXT, t INTEGER, mechanism TEXT, place TEXT, intent TEXT, severity TEXT,
 victims INTEGER, age INTEGER, sex TEXT, disability INTEGER, description TEXT,
 area_code TEXT, extra TEXT, lon REAL NOT NULL, lat REAL NOT NULL, batch_id INTEGER,
 content_hash INTEGER NOT NULL, UNIQUE(source, source_id));
SELECT AddGeometryColumn('incidents','geom',4326,'POINT','XY',1);
SELECT CreateSpatialIndex('incidents','geom');
CREATE INDEX incidents_t ON incidents(t);
CREATE INDEX incidents_area ON incidents(area_code);
CREATE TABLE import_batches(id INTEGER PRIMARY KEY, kind TEXT NOT NULL, file TEXT NOT NULL,
 started_at TEXT NOT NULL, finished_at TEXT, summary TEXT);
CREATE TABLE import_rejects(batch_id INTEGER NOT NULL REFERENCES import_batches(id),
 line INTEGER NOT NULL, raw TEXT, reason TEXT NOT NULL);
CREATE TABLE tokens(hash TEXT PRIMARY KEY, role TEXT NOT NULL CHECK(role IN ('planner','editor')),
 created_at TEXT NOT NULL, label TEXT);""")
for name, level in (("jinjiang_district.geojson", "district"),
                    ("jinjiang_subdistricts.geojson", "subdistrict")):
    with open(f"{data}/{name}", encoding="utf-8") as fh:
        fc = json.load(fh)
    for f in fc["features"]:
        p = f["properties"]
        g = json.dumps(f["geometry"])
        print("INSERT INTO areas(code,name,name_en,level,parent_code,population,geom) VALUES("
              f"{q(p.get('code'))},{q(p.get('name'))},{q(p.get('name_en'))},{q(p.get('level') or level)},"
              f"{q(p.get('parent_code'))},{p.get('population') or 'NULL'},"
              f"CastToMultiPolygon(SetSRID(GeomFromGeoJSON({q(g)}),4326)));")
with open(f"{data}/incidents_2012_2014.csv", encoding="utf-8") as fh:
    for i, r in enumerate(csv.DictReader(fh)):
        if i >= n:
            break
        print("INSERT INTO incidents(source,source_id,occurred_at,t,mechanism,place,intent,severity,"
              "victims,age,sex,disability,description,lon,lat,content_hash,geom) VALUES("
              f"'fixture',{q(r['id'])},{q(r['occurred_at'])},"
              f"CAST(strftime('%s',{q(r['occurred_at'])}) AS INTEGER),"
              f"{q(r['mechanism'])},{q(r['place'])},{q(r['intent'])},{q(r['severity'])},"
              f"{r['victims'] or 'NULL'},{r['age'] or 'NULL'},{q(r['sex'])},"
              f"{r['disability'] or 'NULL'},{q(r['description'])},{r['lon']},{r['lat']},{i},"
              f"MakePoint({r['lon']},{r['lat']},4326));")
print("UPDATE incidents SET area_code=(SELECT a.code FROM areas a WHERE a.level='subdistrict'"
      " AND ST_Within(incidents.geom, a.geom) ORDER BY a.code LIMIT 1);")
print("COMMIT;")
