"""`[cluster]` in Prism.toml and PRISM_CLUSTER*: which backend, where, how many workers."""
import pytest

from prism_runtime.errors import PrismError
from prism_runtime.parallel import default_chunk_size
from prism_runtime.parallel_config import ClusterConfig, load_cluster_config


def write_toml(tmp_path, body):
    (tmp_path / "Prism.toml").write_text(body)
    return tmp_path


def test_defaults_to_the_local_pool(tmp_path):
    config = load_cluster_config(environ={}, cwd=tmp_path)
    assert (config.backend, config.address, config.workers) == ("local", None, None)


def test_prism_toml_then_environment_wins(tmp_path):
    root = write_toml(tmp_path, '[cluster]\nbackend = "dask"\naddress = "tcp://10.0.0.5:8786"\nworkers = 4\n')
    (root / "src").mkdir()
    config = load_cluster_config(environ={}, cwd=root / "src")        # found upward
    assert (config.backend, config.address, config.workers) == ("dask", "tcp://10.0.0.5:8786", 4)
    config = load_cluster_config(environ={"PRISM_CLUSTER": "ray", "PRISM_CLUSTER_ADDRESS": "auto"}, cwd=root)
    assert (config.backend, config.address, config.workers) == ("ray", "auto", 4)
    assert "PRISM_CLUSTER" in config.source


def test_an_address_alone_implies_its_backend(tmp_path):
    def backend(address):
        return load_cluster_config(environ={"PRISM_CLUSTER_ADDRESS": address}, cwd=tmp_path).backend
    assert [backend("tcp://h:8786"), backend("ray://h:10001"), backend("auto")] == ["dask", "ray", "ray"]
    with pytest.raises(PrismError, match="needs backend dask or ray"):
        backend("h:6379")


def test_bad_settings_are_named(tmp_path):
    with pytest.raises(PrismError, match="backend must be one of local, dask, ray, not 'spark'"):
        load_cluster_config(environ={"PRISM_CLUSTER": "spark"}, cwd=tmp_path)
    with pytest.raises(PrismError, match="workers must be a positive integer"):
        ClusterConfig("dask", workers=0)
    with pytest.raises(PrismError, match="needs backend dask or ray"):
        ClusterConfig("local", address="tcp://h:1")
    root = write_toml(tmp_path, '[cluster]\nbackend = "dask"\nnodes = 3\n')
    with pytest.raises(PrismError, match=r"unknown \[cluster\] key\(s\): nodes"):
        load_cluster_config(environ={}, cwd=root)


def test_default_chunks_amortise_and_fill_async_slots():
    assert default_chunk_size(100_000, 2) == 12_500          # 4 chunks per worker
    assert default_chunk_size(3, 2) == 1
    assert default_chunk_size(400, 2, is_async=True, max_concurrent=10) == 50
    assert default_chunk_size(30, 2, is_async=True, max_concurrent=10) == 10
