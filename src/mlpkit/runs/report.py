"""The run report: the plots as PNG files and one self-contained HTML page.

The page embeds its images as data URIs and its style inline: it opens
anywhere, offline, and can be mailed as a single file.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from mlpkit.history import History
from mlpkit.io import atomic_write
from mlpkit.network import Network
from mlpkit.recipes import to_toml
from mlpkit.recipes.build import SHORTHAND_KEYS, RunData

if TYPE_CHECKING:  # matplotlib is optional (the plot extra)
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["make_plots", "render_html", "write_report"]

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
table { border-collapse: collapse; } td, th { padding: 4px 12px; border-bottom: 1px solid #ddd; }
th { text-align: left; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; font-size: 0.85em; }
.plots { display: flex; flex-wrap: wrap; gap: 1em; align-items: flex-start; }
figure { margin: 0; } img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 0.9em; color: #555; }
.facts { display: flex; gap: 3em; flex-wrap: wrap; align-items: flex-start; }
.status { font-weight: bold; }
"""


def make_plots(
    config: dict[str, Any],
    metrics: dict[str, Any],
    history: History,
    network: Network,
    data: RunData,
) -> dict[str, Figure]:
    """The figures that apply to this run, by file stem; empty without matplotlib."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return {}
    from mlpkit import plots

    figures: dict[str, Figure] = {"learning_curves": plots.learning_curves(history)}
    figures["confusion_matrix"] = _whole(
        plots.confusion_matrix(
            metrics["confusion_matrix"], data.classes, title="test confusion matrix"
        )
    )
    if data.raw_train.shape[1] == 2:
        figures.update(_plane_plots(network, data))
    if data.image_shape is not None:
        figures.update(_image_plots(config["report"]["images"], network, data))
    return figures


def _plane_plots(network: Network, data: RunData) -> dict[str, Figure]:
    """Decision regions and the network's output over the plane of 2-D data; small networks."""
    from mlpkit import plots

    figures: dict[str, Figure] = {}
    for stem, graded in (("decision_regions", False), ("network_output", True)):
        figures[stem] = _whole(
            plots.decision_regions(
                network,
                data.raw_train,
                data.y_train,
                data.raw_test,
                data.y_test,
                graded=graded,
                transform=data.preprocessor.transform,
            )
        )
    if plots.diagram_widths(network) is not None:
        figures["network"] = _whole(plots.network_diagram(network))
    return figures


def _image_plots(n: int, network: Network, data: RunData) -> dict[str, Figure]:
    """Sample images, first-layer weights (a dense first layer) and misclassified images."""
    from mlpkit import plots

    shape = data.image_shape
    assert shape is not None  # called for image data only
    figures = {
        "samples": plots.image_grid(
            data.raw_train,
            data.y_train,
            image_shape=shape,
            classes=data.classes,
            n=n,
            title="training samples",
        )
    }
    if plots.first_dense_kernel(network, shape) is not None:
        figures["weights"] = plots.first_layer_weights(network, image_shape=shape, n_units=n)
    if any(layer.name == "conv2d" for layer in network.layers):
        figures["filters"] = plots.conv_filters(network, n=n)
        figures["feature_maps"] = plots.feature_maps(network, data.X_test[0])
    figures["misclassified"] = plots.misclassified(
        network,
        data.X_test,
        data.y_test,
        images=data.raw_test,
        image_shape=shape,
        classes=data.classes,
        n=n,
    )
    return figures


def _writer(content: bytes) -> Callable[[BinaryIO], object]:
    """What ``atomic_write`` calls to fill a file with ``content``."""
    return lambda handle: handle.write(content)


def _whole(ax: Axes) -> Figure:
    """The figure ``ax`` is drawn on (the plots draw on whole figures, never subfigures)."""
    from matplotlib.figure import Figure

    figure = ax.figure
    assert isinstance(figure, Figure)
    return figure


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return buffer.getvalue()


def write_report(
    run_dir: Path,
    config: dict[str, Any],
    metrics: dict[str, Any],
    history: History,
    network: Network,
    data: RunData,
) -> Path:
    """Write ``plots/*.png`` (when enabled and matplotlib is present) and ``report.html``."""
    images: dict[str, bytes] = {}
    if config["report"]["plots"]:
        figures = make_plots(config, metrics, history, network, data)
        if figures:
            (run_dir / "plots").mkdir(exist_ok=True)
            for stem, figure in figures.items():
                images[stem] = _png(figure)
                target = run_dir / "plots" / f"{stem}.png"
                atomic_write(target, _writer(images[stem]))
    page = render_html(config, metrics, network, images)
    path = run_dir / "report.html"
    atomic_write(path, lambda handle: handle.write(page.encode("utf-8")))
    return path


def _results_table(metrics: dict[str, Any]) -> str:
    rows = []
    for split in ("train", "valid", "test"):
        if split in metrics:
            figures = metrics[split]
            accuracy = figures.get("accuracy")
            shown = "" if accuracy is None else f"{100 * accuracy:.2f}%"
            rows.append(
                f"<tr><th>{split}</th><td class=num>{figures['loss']:.4f}</td>"
                f"<td class=num>{shown}</td></tr>"
            )
    caption = (
        "<caption>The final weights, evaluated: dropout off, batch norm on its moving "
        "statistics. The learning curves' train figures are means over each epoch's "
        "batches as they trained, so they differ.</caption>"
    )
    header = "<tr><th></th><th>loss</th><th>accuracy</th></tr>"
    return f"<table>{caption}{header}" + "".join(rows) + "</table>"


def _applying(config: dict[str, Any]) -> dict[str, Any]:
    """``config`` without the MLP shorthand keys when ``model.layers`` lists the layers.

    They are at their defaults then and describe no layer of the network shown
    above; ``config.toml`` keeps them, the report leaves them out.
    """
    if not config.get("model", {}).get("layers"):
        return config
    model = {k: v for k, v in config["model"].items() if k not in SHORTHAND_KEYS}
    return {**config, "model": model}


def render_html(
    config: dict[str, Any], metrics: dict[str, Any], network: Network, images: dict[str, bytes]
) -> str:
    """The report page as one string, images embedded."""
    name = html.escape(str(config.get("name", "run")))
    facts = [
        ("status", metrics["status"]),
        ("epochs run", metrics["epochs_run"]),
        ("best epoch", metrics.get("best_epoch") or "-"),
        ("training time", f"{metrics['train_time_s']:.1f} s"),
        ("wall time to the report", f"{metrics.get('wall_time_s', 0):.1f} s"),
        ("seed", metrics["seed"]),
        ("versions", ", ".join(f"{k} {v}" for k, v in metrics["versions"].items())),
    ]
    fact_rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in facts
    )
    figures = "".join(
        f'<figure><img alt="{stem}" src="data:image/png;base64,'
        f'{base64.b64encode(png).decode("ascii")}"><figcaption>{stem.replace("_", " ")}'
        "</figcaption></figure>"
        for stem, png in images.items()
    )
    if not images:
        figures = "<p>No plots: install matplotlib (pip install 'mlpkit[plot]') to get them.</p>"
    description = html.escape(str(config.get("description", "")))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>mlpkit run: {name}</title>
<style>{_STYLE}</style></head><body>
<h1>mlpkit run: {name}</h1>
<p>{description}</p>
<h2>Results</h2>
<div class="facts">{_results_table(metrics)}
<table>{fact_rows}</table></div>
<h2>Plots</h2>
<div class="plots">{figures}</div>
<h2>Network</h2>
<pre>{html.escape(network.summary())}</pre>
<h2>Configuration</h2>
<pre>{html.escape(to_toml(_applying(config)))}</pre>
</body></html>
"""
