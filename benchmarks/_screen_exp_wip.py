"""Recipe screening: python exp.py VARIANT SEED [STEPS] -> json line to /tmp/rx/results.jsonl"""
import json, sys, time, os
import torch
from torch import nn
torch.set_num_threads(int(os.environ.get("TH", "1")))
import gan_helpers as gh
from gan_helpers.models import init_dcgan_weights

class G2(nn.Module):
    def __init__(self, latent_dim=64, c7=64, c14=32, c28=0, k_out=4, bn=True, h14=False):
        super().__init__()
        self.latent_dim = latent_dim
        L = [nn.ConvTranspose2d(latent_dim, c7, 7, 1, 0, bias=False), nn.BatchNorm2d(c7), nn.ReLU(True),
             nn.ConvTranspose2d(c7, c14, 4, 2, 1, bias=False), nn.BatchNorm2d(c14), nn.ReLU(True)]
        if h14:
            L += [nn.Conv2d(c14, c14, 3, 1, 1, bias=False), nn.BatchNorm2d(c14), nn.ReLU(True)]
        if c28:
            L += [nn.ConvTranspose2d(c14, c28, 4, 2, 1, bias=False), nn.BatchNorm2d(c28), nn.ReLU(True),
                  nn.Conv2d(c28, 1, 3, 1, 1)]
        else:
            L += [nn.ConvTranspose2d(c14, 1, 4, 2, 1)]
        L.append(nn.Tanh())
        self.net = nn.Sequential(*L); self.apply(init_dcgan_weights)
    def forward(self, z): return self.net(z[:, :, None, None])

class D2(nn.Module):
    def __init__(self, c14=32, c7=64, extra=0, norm="bn", sn=False):
        super().__init__()
        w = (lambda m: nn.utils.spectral_norm(m)) if sn else (lambda m: m)
        L = [w(nn.Conv2d(1, c14, 4, 2, 1)), nn.LeakyReLU(0.2, True),
             w(nn.Conv2d(c14, c7, 4, 2, 1, bias=norm != "bn"))]
        if norm == "bn": L.append(nn.BatchNorm2d(c7))
        L.append(nn.LeakyReLU(0.2, True))
        if extra:
            L += [w(nn.Conv2d(c7, extra, 3, 1, 1, bias=norm != "bn"))]
            if norm == "bn": L.append(nn.BatchNorm2d(extra))
            L.append(nn.LeakyReLU(0.2, True)); c7 = extra
        L.append(w(nn.Conv2d(c7, 1, 7, 1, 0)))
        self.net = nn.Sequential(*L); self.apply(init_dcgan_weights)
    def forward(self, x): return self.net(x).flatten(1)

V = {}
def v(name, g={}, d={}, **cfg): V[name] = (g, d, cfg)
v("base")
v("b128", batch_size=128)
v("b256", batch_size=256)
v("lr5e4", lr_g=5e-4, lr_d=5e-4)
v("b128_lr4e4", batch_size=128, lr_g=4e-4, lr_d=4e-4)
v("b256_lr6e4", batch_size=256, lr_g=6e-4, lr_d=6e-4)
v("w64", dict(c7=128, c14=64), dict(c14=64, c7=128))
v("w64_b128", dict(c7=128, c14=64), dict(c14=64, c7=128), batch_size=128)
v("g28", dict(c28=32))
v("g28_b128", dict(c28=32), batch_size=128)
v("wG", dict(c7=128, c14=64))
v("wD", {}, dict(c14=64, c7=128))
v("ttur", lr_g=2e-4, lr_d=6e-4)
v("beta0", betas=(0.0, 0.99), lr_g=2e-4, lr_d=2e-4)
v("b128_lr4e4_b0", batch_size=128, lr_g=4e-4, lr_d=4e-4, betas=(0.0, 0.99))
v("b256_lr1e3", batch_size=256, lr_g=1e-3, lr_d=1e-3)
v("b128_ema", batch_size=128, ema_decay=0.999)
v("bs", sample="batch")
R = dict(batch_size=128, reuse_fakes=True)
v("g16_r", dict(c28=16), lr_g=1e-3, lr_d=1e-3, **R)
v("g8_r", dict(c28=8), lr_g=1e-3, lr_d=1e-3, **R)
v("h14_r", dict(h14=True), lr_g=1e-3, lr_d=1e-3, **R)
v("g28_r", dict(c28=32), lr_g=1e-3, lr_d=1e-3, **R)
v("g16_r_lr15", dict(c28=16), lr_g=1.5e-3, lr_d=1.5e-3, **R)
v("g16_r_b2", dict(c28=16), lr_g=1e-3, lr_d=1e-3, betas=(0.5, 0.99), **R)
v("g28_b128_lr1e3", dict(c28=32), batch_size=128, lr_g=1e-3, lr_d=1e-3)
v("g28_b128_lr1e3_lin", dict(c28=32), batch_size=128, lr_g=1e-3, lr_d=1e-3, decay="linear")
v("g16_b128_lr1e3_lin", dict(c28=16), batch_size=128, lr_g=1e-3, lr_d=1e-3, decay="linear")
v("b128_lr1e3_lin", batch_size=128, lr_g=1e-3, lr_d=1e-3, decay="linear")
v("g28_lr5e4", dict(c28=32), lr_g=5e-4, lr_d=5e-4)
v("g28_b128_lr6e4", dict(c28=32), batch_size=128, lr_g=6e-4, lr_d=6e-4)
v("g16_lr5e4", dict(c28=16), lr_g=5e-4, lr_d=5e-4)
v("g16_b128_lr6e4", dict(c28=16), batch_size=128, lr_g=6e-4, lr_d=6e-4)
v("g28_lr5e4_lin", dict(c28=32), lr_g=5e-4, lr_d=5e-4, decay="linear")
v("b128_lr6e4", batch_size=128, lr_g=6e-4, lr_d=6e-4)
v("b128_lr1e3", batch_size=128, lr_g=1e-3, lr_d=1e-3)
v("b256_lr6e4_lin", batch_size=256, lr_g=6e-4, lr_d=6e-4, decay="linear")
v("b128_lr6e4_reuse", batch_size=128, lr_g=6e-4, lr_d=6e-4, reuse_fakes=True)
v("lr5e4_lin", lr_g=5e-4, lr_d=5e-4, decay="linear")
v("lr5e4_drop", lr_g=5e-4, lr_d=5e-4, decay="drop")
v("lr1e3_lin", lr_g=1e-3, lr_d=1e-3, decay="linear")
v("b128_lr8e4_lin", batch_size=128, lr_g=8e-4, lr_d=8e-4, decay="linear")
v("lr5e4_bs", lr_g=5e-4, lr_d=5e-4, sample="batch")
v("lr5e4_ema99_bs", lr_g=5e-4, lr_d=5e-4, ema_decay=0.99, sample="batch")
v("lr5e4_ema995_bs", lr_g=5e-4, lr_d=5e-4, ema_decay=0.995, sample="batch")
v("lr1e3", lr_g=1e-3, lr_d=1e-3)
v("lr5e4_reuse", lr_g=5e-4, lr_d=5e-4, reuse_fakes=True)
v("w48_lr5e4", dict(c7=96, c14=48), dict(c14=48, c7=96), lr_g=5e-4, lr_d=5e-4)

def main():
    name, seed = sys.argv[1], int(sys.argv[2]); steps = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    extra = json.loads(sys.argv[4]) if len(sys.argv) > 4 else None
    g, d, cfg = V[name] if extra is None else (extra.get("g", {}), extra.get("d", {}), extra.get("cfg", {}))
    os.environ.setdefault("GAN_DATA_DIR", "/work/shared/data")
    mnist = gh.data.load_mnist(verbose=False)
    clf = gh.metrics.get_classifier("cpu", verbose=False)
    real = mnist.images[-1000:]
    gen = torch.Generator().manual_seed(seed); torch.manual_seed(seed)
    G, D = G2(**g), D2(**d)
    cfg = dict(cfg); cfg.setdefault("batch_size", 64)
    objective = cfg.pop("objective", "gan")
    smode = cfg.pop("sample", "eval")
    decay = cfg.pop("decay", None); horizon = cfg.pop("horizon", 1000)
    config = gh.training.TrainConfig.dcgan(objective=objective, log_grad_norms=False, log_every=50, **cfg)
    tr = gh.training.Trainer(G, D, gh.data.TensorBatcher(mnist.images, gen), config, generator=gen)
    z = gh.training.latent(1000, 64, torch.Generator().manual_seed(10_000 + seed))
    out = {"variant": name if extra is None else json.dumps(extra), "seed": seed, "evals": {}}
    t_train = 0.0
    for s in range(1, steps + 1):
        if decay:
            f = max(0.0, 1 - (s - 1) / horizon) if decay == "linear" else (0.1 if s > 0.7 * horizon else 1.0)
            if decay == "cos":
                import math; f = 0.5 * (1 + math.cos(math.pi * min(1.0, (s - 1) / horizon)))
            for opt, base in ((tr.opt_g, config.lr_g), (tr.opt_d, config.lr_d)):
                for gr in opt.param_groups: gr["lr"] = base * f
        t0 = time.perf_counter(); tr.step(); t_train += time.perf_counter() - t0
        if s in (250, 500, 1000, 1500, 2000):
            Gs = tr.G_ema if tr.G_ema is not None else tr.G
            if smode == "batch":
                import copy
                Gc = copy.deepcopy(Gs).train()
                with torch.no_grad(): x = Gc(z)
            else:
                x = gh.training.sample(Gs, 1000, z=z)
            hist = gh.metrics.class_histogram(x, clf)
            out["evals"][s] = {"conf": round(gh.metrics.confident_fraction(x, clf), 3),
                               "classes": int((hist >= 10).sum()),
                               "fd": round(gh.metrics.frechet_classifier_distance(x, real, clf), 1)}
    tr.flush()
    out["img_s"] = round(steps * config.batch_size / t_train, 0)
    with open("/tmp/rx/results.jsonl", "a") as f: f.write(json.dumps(out) + "\n")
    print(json.dumps(out), flush=True)

main()
