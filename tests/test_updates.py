"""gan.data.updates: the loader hands out one update per item when batched, chunks of updates at batch size 1,
every row once per epoch, shuffled by its own generator."""

import torch

from gan.data.updates import UpdateLoader


def test_batch_size_1_chunks_hold_unbatched_images_in_file_order():
    images, labels = torch.rand(10, 784), torch.arange(10)
    chunks = list(UpdateLoader(images, labels, batch_size=1, chunk_size=4, shuffle=False, seed=0))
    assert len(chunks) == 3 and [len(c) for c in chunks] == [4, 4, 2]
    assert chunks[0][0][0].shape == (784,)
    assert [int(label) for chunk in chunks for _, label in chunk] == list(range(10))


def test_larger_batches_come_one_update_per_item_as_lightning_batches():
    images, labels = torch.rand(10, 784), torch.arange(10)
    loader = UpdateLoader(images, labels, batch_size=3, chunk_size=None, shuffle=False, seed=0)
    batches = list(loader)
    assert len(loader) == len(batches) == 4  # 3 + 3 + 3 + the epoch's short last update of 1
    assert [tuple(x.shape) for x, _ in batches] == [(3, 784)] * 3 + [(1, 784)]
    assert torch.equal(torch.cat([y for _, y in batches]), labels)


def test_a_chunked_loader_splits_each_chunk_into_updates():
    images, labels = torch.rand(10, 784), torch.arange(10)
    loader = UpdateLoader(images, labels, batch_size=3, chunk_size=7, shuffle=False, seed=0)
    chunks = list(loader)
    assert len(loader) == len(chunks) == 2  # 6 rows per chunk: two updates of 3
    assert [tuple(x.shape) for chunk in chunks for x, _ in chunk] == [(3, 784)] * 3 + [(1, 784)]


def test_shuffling_covers_every_row_once_without_touching_the_global_rng():
    images, labels = torch.rand(50, 784), torch.arange(50)
    torch.manual_seed(0)
    expected_next = torch.rand(1)
    torch.manual_seed(0)
    batches = list(UpdateLoader(images, labels, batch_size=4, chunk_size=None, shuffle=True, seed=1))
    seen = torch.cat([label for _, label in batches])
    assert sorted(seen.tolist()) == list(range(50)) and seen.tolist() != list(range(50))
    assert torch.equal(torch.rand(1), expected_next)
