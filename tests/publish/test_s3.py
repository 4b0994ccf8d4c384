"""Publishing to an S3-compatible store: versioned prefixes, a pointer written
last, readers following the pointer (issue 8b). Runs against moto's server on
loopback; nothing leaves the machine."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support import run_etl

moto_server = pytest.importorskip("moto.server")
pq = pytest.importorskip("pyarrow.parquet")
from pyarrow import fs  # noqa: E402

from gongkai_etl.publish.objectstore import read_pointer, read_published  # noqa: E402

CREDS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
BUCKET = "gongkai-open"
URI = f"s3://{BUCKET}/chaoyang"
FOLLOWUP = "sample_data/shantytown/棚改后期管理_2016-08.csv"


@pytest.fixture(scope="module")
def endpoint():  # noqa: ANN201
    with pytest.MonkeyPatch.context() as mp:
        for k, v in CREDS.items():
            mp.setenv(k, v)
        server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        s3 = fs.S3FileSystem(endpoint_override=f"{host}:{port}", scheme="http", region="us-east-1", allow_bucket_creation=True)
        s3.create_dir(BUCKET)
        try:
            yield url
        finally:
            server.stop()


@pytest.fixture
def s3_project(project: Path, endpoint: str) -> Path:
    text = (project / "pipelines" / "shantytown.yaml").read_text(encoding="utf-8")
    text = text.replace("  dir: ../output\n", f"  dir: {URI}\n  s3: {{endpoint_url: '{endpoint}', region: us-east-1}}\n")
    text = re.sub(r"periods: .*", "periods: 2016-08", text)
    (project / "pipelines" / "shantytown.yaml").write_text(text, encoding="utf-8")
    return project


def _s3(endpoint: str) -> fs.S3FileSystem:
    return fs.S3FileSystem(endpoint_override=endpoint.split("://")[1], scheme="http", region="us-east-1")


def _run(project: Path, **env: str):  # noqa: ANN202
    return run_etl("run", "pipelines/shantytown.yaml", cwd=project, env={**CREDS, **env})


def test_publish_read_back_and_republish(s3_project: Path, endpoint: str) -> None:
    proc = _run(s3_project)
    assert proc.returncode == 0, proc.stderr
    s3 = _s3(endpoint)
    # local state beside the pipeline; published files in the bucket
    state = s3_project / "pipelines" / ".gongkai-state" / BUCKET / "chaoyang"
    assert (state / ".gongkai" / "state.db").exists()
    assert not (s3_project / "output").exists()
    pointer = read_pointer(URI, "shantytown_followup", "2016-08", filesystem_=s3)
    assert pointer["version"] == 1
    assert pointer["path"] == "shantytown_followup/versions/2016-08/v1/"
    table = read_published(URI, "shantytown_followup", "2016-08", endpoint_url=endpoint, region="us-east-1")
    local = pq.read_table(state / "shantytown_followup" / "data" / "shantytown_followup_2016-08.parquet")
    assert table.equals(local) and table.num_rows == 2
    key = f"{BUCKET}/chaoyang/shantytown_followup/versions/2016-08/v1/csv/shantytown_followup_2016-08.csv"
    with s3.open_input_stream(key) as fh:
        assert fh.read() == (state / "shantytown_followup" / "csv" / "shantytown_followup_2016-08.csv").read_bytes()
    # datapackage.json and catalog.json in the bucket name the versioned files
    with s3.open_input_stream(f"{BUCKET}/chaoyang/shantytown_followup/datapackage.json") as fh:
        dp = fh.read().decode()
    assert "versions/2016-08/v1/" in dp
    assert s3.get_file_info(f"{BUCKET}/chaoyang/catalog.json").type == fs.FileType.File

    # an unchanged re-run publishes nothing new
    assert _run(s3_project).returncode == 0
    assert read_pointer(URI, "shantytown_followup", "2016-08", filesystem_=s3)["version"] == 1

    # changed input: a new version prefix, the pointer moves, the old version stays
    path = s3_project / FOLLOWUP
    raw = path.read_bytes()
    path.write_bytes(raw.replace("335".encode(), "336".encode(), 1))
    proc = _run(s3_project)
    assert proc.returncode == 0, proc.stderr
    pointer = read_pointer(URI, "shantytown_followup", "2016-08", filesystem_=s3)
    assert pointer["version"] == 2
    old = f"{BUCKET}/chaoyang/shantytown_followup/versions/2016-08/v1/data/shantytown_followup_2016-08.parquet"
    assert s3.get_file_info(old).type == fs.FileType.File
    new = read_published(URI, "shantytown_followup", "2016-08", filesystem_=s3)
    assert 336 in new.column("resettled_households").to_pylist()
    assert not new.equals(pq.read_table(old, filesystem=s3))
    # other datasets of the period did not change: still v1
    assert read_pointer(URI, "shantytown_project", "2016-08", filesystem_=s3)["version"] == 1


def test_failure_before_pointer_leaves_readers_on_old_version(s3_project: Path, endpoint: str) -> None:
    s3 = _s3(endpoint)
    prefix = URI.replace("s3://", "") + "-fail"
    uri = "s3://" + prefix
    text = (s3_project / "pipelines" / "shantytown.yaml").read_text(encoding="utf-8").replace(URI, uri)
    (s3_project / "pipelines" / "shantytown.yaml").write_text(text, encoding="utf-8")
    assert _run(s3_project).returncode == 0
    before = read_published(uri, "shantytown_followup", "2016-08", filesystem_=s3)

    path = s3_project / FOLLOWUP
    path.write_bytes(path.read_bytes().replace("335".encode(), "337".encode(), 1))
    proc = _run(s3_project, GONGKAI_FAILPOINT="s3:before-pointer")
    assert proc.returncode == -9  # killed after uploading v2, before its pointer
    v2 = f"{prefix}/shantytown_followup/versions/2016-08/v2/"
    assert s3.get_file_info(fs.FileSelector(v2, recursive=True))  # the new version is uploaded ...
    assert read_pointer(uri, "shantytown_followup", "2016-08", filesystem_=s3)["version"] == 1  # ... but not current
    assert read_published(uri, "shantytown_followup", "2016-08", filesystem_=s3).equals(before)

    # the next run (nothing new to stage) finishes the interrupted upload
    proc = _run(s3_project)
    assert proc.returncode == 0, proc.stderr
    assert read_pointer(uri, "shantytown_followup", "2016-08", filesystem_=s3)["version"] == 2
    assert not read_published(uri, "shantytown_followup", "2016-08", filesystem_=s3).equals(before)


def test_s3_settings_are_checked(project: Path) -> None:
    p = project / "pipelines" / "shantytown.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace("  dir: ../output\n", "  dir: ../output\n  s3: {region: x}\n"), encoding="utf-8")
    proc = run_etl("validate", str(p))
    assert proc.returncode == 2 and "output.s3" in proc.stderr
    p.write_text(p.read_text(encoding="utf-8").replace("  dir: ../output\n  s3: {region: x}\n", "  dir: s3://B_/x\n"), encoding="utf-8")
    proc = run_etl("validate", str(p))
    assert proc.returncode == 2 and "output.dir" in proc.stderr
