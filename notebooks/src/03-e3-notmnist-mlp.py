# mlpkit-notebook: needs MLPKIT_DATA
# %% [markdown]
# # E3: ReLU, softmax and momentum on notMNIST
#
# The course's third experiment: letters A to J in many typefaces (notMNIST),
# 28 x 28 pixels scaled to [0, 1]; a 784 - 1000 - 10 network with ReLU hidden
# units and a softmax output, weights drawn from a normal of standard
# deviation $\sqrt{2 / (\text{fan-in} + \text{fan-out})}$; cross-entropy summed
# over the samples (no $1/n$); full-batch gradient descent with momentum for
# 200 epochs. It reports **90.97%** test accuracy (train 97.78%, valid 91.25%),
# then 90.20 / 90.86 / 91.15% with 100 / 500 / 2000 hidden units, and
# 90.75 / 91.08% when stopped early at epoch 80 / 160, with curves of
# accuracy and loss per epoch.
#
# mlpkit's notMNIST sample has 10,000 letters (8000 / 1000 / 1000 for train,
# validation and test) against the course's 18,720 (10,000 / 6000 / 2724).

# %%
import inspect
import os
import tempfile
from pathlib import Path

import matplotlib
from results_table import compare

import mlpkit as mk
from mlpkit import plots, recipes, runs
from mlpkit.recipes.build import prepare_data

QUICK = os.environ.get("MLPKIT_QUICK") == "1"  # quick: 10 epochs, 2000 training letters
matplotlib.rcParams["figure.dpi"] = 72  # modest PNGs: the notebooks are stored with them
RUNS = Path(tempfile.mkdtemp())
QUICK_SET = ["train.epochs=10", "data.train_subset=2000"] if QUICK else []
config = recipes.apply_overrides(recipes.load_recipe("e3-notmnist"), QUICK_SET)
data = prepare_data(config)
print(config["description"])
print("train", data.X_train.shape, " valid", data.X_valid.shape, " test", data.X_test.shape)

# %% [markdown]
# ## The data

# %%
plots.image_grid(data.raw_train, data.y_train, image_shape=(28, 28), classes=data.classes, n=30)

# %% [markdown]
# ## The network and its gradients
#
# $H = \max(0, X W_1 + b_1)$, $P = \mathrm{softmax}(H W_2 + b_2)$,
# $L = -\sum_i \sum_k D_{ik} \log P_{ik}$ (summed, as the course did).
# The output delta is $\delta_2 = P - D$; a ReLU passes the delta through
# where its input was positive and stops it elsewhere:
# $\delta_1 = (\delta_2 W_2^\top) \odot [X W_1 + b_1 > 0]$.
# Momentum keeps a velocity per weight,
# $G \leftarrow \gamma G + \eta\, \partial L / \partial W$, $W \leftarrow W - G$.

# %%
print(inspect.getsource(mk.ReLU.backward))
print(inspect.getsource(mk.losses.CrossEntropy.forward_logits))

# %% [markdown]
# ## Training, with train, validation and test measured every epoch

# %%
result = runs.run(config, RUNS / "e3-notmnist", quiet=True, callbacks=[mk.LivePlot(every=10)])
network = mk.load(RUNS / "e3-notmnist" / "model.npz")
for split in ("train", "valid", "test"):
    m = result.metrics[split]
    print(f"{split:5s} accuracy {100 * m['accuracy']:.2f}%  loss {m['loss']:.4f}")

# %%
result.history.plot()

# %% [markdown]
# ## Stopping early
#
# Stopping at epoch 80 or 160 is the same run cut short: the same weights,
# the same steps, up to that epoch. The test accuracy then is read from the
# curve above (it is measured every epoch).

# %%
test_curve = result.history.test_accuracy
for epoch in (80, 160) if not QUICK else (5, 10):
    print(f"stopped at epoch {epoch}: test {100 * test_curve[epoch - 1]:.2f}%")

# %% [markdown]
# ## More or fewer hidden units
#
# The same recipe with 100, 500 and 2000 hidden units.

# %%
sweep = {}
for hidden in (100, 500, 2000):
    name = f"e3-hidden{hidden}"
    swept = recipes.apply_overrides(recipes.load_recipe(name), QUICK_SET)
    sweep[name] = runs.run(swept, RUNS / name, quiet=True)
    print(f"{hidden:5d} hidden: test {100 * sweep[name].metrics['test']['accuracy']:.2f}%")

# %% [markdown]
# ## Where it goes wrong

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

# %%
m = result.metrics
plots.confusion_matrix(m["confusion_matrix"], classes=m["classes"]).figure

# %% [markdown]
# ## The classic's figures beside mlpkit's

# %%
compare("e3-notmnist", 100 * result.metrics["test"]["accuracy"], QUICK)
for name, swept in sweep.items():
    compare(name, 100 * swept.metrics["test"]["accuracy"], QUICK)
if not QUICK:
    compare("e3-stop80", 100 * test_curve[79], QUICK)
    compare("e3-stop160", 100 * test_curve[159], QUICK)
