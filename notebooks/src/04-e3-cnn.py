# mlpkit-notebook: needs MLPKIT_DATA
# %% [markdown]
# # E3's CNN: the Keras network the course ends with, in mlpkit
#
# The notMNIST course leaves NumPy for its last network, a convolutional one
# in Keras: a 3 x 3 convolution with 32 filters ("same" padding, ReLU,
# Glorot-normal kernels), batch normalisation, 2 x 2 max-pooling, a dense
# layer of 784 ReLU units and a softmax; Adam at 1e-4, batches of 32, 50
# epochs. It reports **92.77%** test accuracy, then sweeps an L2 penalty on
# the dense layers (0.01 / 0.1 / 0.5: 92.69 / 92.03 / 89.43%) and dropout
# after the 784 layer (0.9 / 0.75 / 0.5 dropped: 93.69 / 93.25 / 93.06%).
#
# mlpkit builds the same network from its own layers: NumPy references, run by
# their compiled numba twins when numba is installed. A full run of this notebook
# trains the 50 epochs (about 6 minutes on 2 cores with the kernels); the
# six variants are recipes of their own (`mlpkit run e3-cnn-l2-0.1`, ...),
# with their figures in docs/RESULTS.md.

# %%
import inspect
import os
import tempfile
from pathlib import Path

import matplotlib
from results_table import compare

import mlpkit as mk
from mlpkit import plots, recipes, runs
from mlpkit.recipes.build import build_network, prepare_data

QUICK = os.environ.get("MLPKIT_QUICK") == "1"  # quick: 1 epoch on 1000 letters
matplotlib.rcParams["figure.dpi"] = 72  # modest PNGs: the notebooks are stored with them
RUNS = Path(tempfile.mkdtemp())
QUICK_SET = ["train.epochs=1", "data.train_subset=1000"] if QUICK else []
config = recipes.apply_overrides(recipes.load_recipe("e3-cnn"), QUICK_SET)
data = prepare_data(config)
print(config["description"])

# %% [markdown]
# ## The network
#
# Output shapes (the batch axis is `None`) and parameter counts, as Keras's
# `model.summary()` prints them. Nearly all of the 4.9 million weights are in
# the dense layer after the pooling.

# %%
build_network(config, data.X_train.shape[1], len(data.classes))

# %% [markdown]
# ## A convolution: one matrix product forward, two backward
#
# Each 3 x 3 window of the padded image becomes one row of a *patch matrix*
# (im2col), so the convolution is a single product with the kernel reshaped
# to (3 * 3 * channels) x filters. Backward, the kernel's gradient is
# patches$^\top\,\delta$, and the input's gradient sends $\delta$ back through
# the kernel into every window it came from.

# %%
print(inspect.getsource(mk.Conv2D.forward))
print(inspect.getsource(mk.Conv2D.backward))

# %% [markdown]
# Batch normalisation standardises each channel over the batch and the
# positions, then scales and shifts it by learned $\gamma$ and $\beta$; its
# backward pass accounts for the batch statistics depending on every input:
#
# $$\hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}},\quad y = \gamma \hat x + \beta,\qquad
#   \frac{\partial L}{\partial x} = \frac{\gamma}{\sqrt{\sigma^2+\epsilon}}
#   \Big(\delta - \overline{\delta} - \hat x\, \overline{\delta \hat x}\Big).$$

# %%
print(inspect.getsource(mk.BatchNorm.backward))

# %% [markdown]
# ## Training

# %%
result = runs.run(config, RUNS / "e3-cnn", quiet=True, callbacks=[mk.LivePlot(every=5)])
network = mk.load(RUNS / "e3-cnn" / "model.npz")
for split in ("train", "valid", "test"):
    print(f"{split:5s} accuracy {100 * result.metrics[split]['accuracy']:.2f}%")

# %% [markdown]
# ## What the first layer learned, and what it sees
#
# The 32 filters (3 x 3), and the first 8 feature maps of one test letter.

# %%
plots.conv_filters(network)

# %%
plots.feature_maps(network, data.X_test[0])

# %%
plots.misclassified(
    network,
    data.X_test,
    data.y_test,
    images=data.raw_test,
    image_shape=(28, 28),
    classes=data.classes,
    n=18,
)

# %% [markdown]
# ## The classic's figure beside mlpkit's

# %%
compare("e3-cnn", 100 * result.metrics["test"]["accuracy"], QUICK)
