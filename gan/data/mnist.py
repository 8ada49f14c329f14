"""MNIST (or any CSV of its layout) as a training set: the walkthrough's Dataset and the DataModule."""

from pathlib import Path

import torch
from torch.utils.data import Dataset

from gan.data.csv_files import CLASSES, load_csv
from gan.data.download import DATASETS, download_mnist
from gan.data.pictures import save_image
from gan.data.updates import UpdatesDataModule
from gan.errors import ConfigError, MissingFileError
from gan.rules import POSITIVE_INT


class MnistDataset(Dataset):
    """The walkthrough's ``MnistDataset``.

    Item ``i`` is (label, image [784] in [0, 1], one-hot target [10]).
    """

    def __init__(self, csv_file, cache_dir="data/cache"):
        self.labels, self.pixels = load_csv(csv_file, cache_dir)
        self.images = self.pixels.float() / 255.0  # as the walkthrough: FloatTensor(pixels) / 255.0

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int):
        label = int(self.labels[index])
        target = torch.zeros(CLASSES)
        target[label] = 1.0
        return label, self.images[index], target

    def plot_image(self, index: int, path, class_names=None) -> Path:
        """Save image ``index`` as the walkthrough shows it: title ``label = N``, Blues colormap; with
        ``class_names`` (not the digits) the title names the class too: ``label = 8 (Bag)``."""
        label = int(self.labels[index])
        named = class_names is not None and class_names[label] != str(label)
        return save_image(self.images[index], f"label = {label}" + (f" ({class_names[label]})" if named else ""), path)


class MnistDataModule(UpdatesDataModule):
    """The training CSV as GAN updates.

    ``download`` names a built-in dataset (``mnist``, ``fashion_mnist``) whose official files make its two
    CSVs (``data_dir/<download>_train.csv`` and ``_test.csv``) when they are missing; null for a user's own
    CSVs. A dataset's test set belongs to it: a run never pairs one dataset's training CSV with another's
    test CSV, because the judge would then measure samples against the wrong images.
    """

    def __init__(
        self,
        data_dir="data",
        train_csv="data/mnist_train.csv",
        test_csv="data/mnist_test.csv",
        mirrors=(),  # empty: the dataset's published mirrors (gan.data.download.DATASETS)
        batch_size: int = 1,
        chunk_size: int = 2048,
        shuffle: bool = False,
        seed: int = 0,
        pack: int = 1,
        name: str | None = "mnist",
        download: str | None = "mnist",
        class_names=None,
    ):
        super().__init__()
        for key, value in (("batch_size", batch_size), ("chunk_size", chunk_size), ("pack", pack)):
            POSITIVE_INT.check(f"data.{key}", value)
        if download is not None and download not in DATASETS:
            raise ConfigError(f"data.download={download} is not a built-in dataset: one of {', '.join(DATASETS)}")
        self.data_dir, self.train_csv = Path(data_dir), Path(train_csv)
        self.test_csv = None if test_csv is None else Path(test_csv)
        self.download = download
        self.name = name or self.train_csv.stem  # names the judge and the metrics tables
        self.class_names = [str(c) for c in class_names] if class_names is not None else [str(c) for c in range(10)]
        if len(self.class_names) != CLASSES:
            raise ConfigError(f"data.class_names has {len(self.class_names)} names; the labels are 0..{CLASSES - 1}")
        self._check_pairing()
        self.mirrors = list(mirrors)
        self.batch_size, self.chunk_size, self.shuffle, self.seed = batch_size, chunk_size, shuffle, seed
        self.pack = pack  # PacGAN: D judges `pack` images at once, so an update takes batch_size x pack of them
        self.train_set: MnistDataset | None = None

    @property
    def source(self) -> str:
        """Where the training samples come from, for messages: the training CSV."""
        return str(self.train_csv)

    channels = 1  # of each image
    metric_samples = 10_000  # generated images the judge measures per evaluation

    @property
    def judge_name(self) -> str:
        """The name of the judge that reads this dataset's images."""
        return self.name

    def _default_csv(self, split: str) -> Path | None:
        """The built-in dataset's own CSV for ``split`` (train or test), or None for a user's CSVs."""
        return None if self.download is None else self.data_dir / f"{self.download}_{split}.csv"

    def _is_default(self, path: Path | None, split: str) -> bool:
        default = self._default_csv(split)
        return default is not None and path is not None and path.resolve() == default.resolve()

    def _check_pairing(self) -> None:
        if self.download is None:
            return
        own_train, own_test = self._is_default(self.train_csv, "train"), self._is_default(self.test_csv, "test")
        if own_train != own_test:
            dataset = DATASETS[self.download].name
            raise ConfigError(
                f"data.train_csv={self.train_csv} and data.test_csv={self.test_csv}: only one of them is "
                f"{dataset}'s own CSV, so samples would be judged against another dataset's images. "
                "For your own CSVs use data=csv data.train_csv=PATH data.test_csv=PATH."
            )

    def prepare_data(self) -> None:
        self._ensure_csvs()
        self.setup()  # parse and cache once, in one process, before any training starts

    def _ensure_csvs(self) -> None:
        own = self._is_default(self.train_csv, "train")
        if own and not (self.train_csv.exists() and self.test_csv.exists()):
            dataset = DATASETS[self.download]
            mirrors = self.mirrors or list(dataset.mirrors)
            download_mnist(self._default_csv("train"), self._default_csv("test"), mirrors, dataset=dataset)
        for key, path in (("train_csv", self.train_csv), ("test_csv", self.test_csv)):
            if path is not None and not path.exists():  # a user's own CSV is never replaced by a download
                raise MissingFileError(f"{path}: no such CSV file (data.{key})")

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is None:
            self.train_set = MnistDataset(self.train_csv, self.data_dir / "cache")
