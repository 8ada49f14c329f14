"""The two update algorithms, one object each: what one ``training_step`` does to D and G on one batch.

``ThreeSteps`` is the walkthrough's update on D's probability (``loss=mse|bce``): three optimizer steps in its order.
``SummedSteps`` is the DCGAN's update on D's probability (``model.d_update=summed``, ``model=dcgan``): one D step on
the summed real and fake losses, then G through D on the same fakes (pytorch/examples dcgan/main.py).
``LogitSteps`` is the update on D's logits (``loss=nonsaturating|hinge|wgan|rpgan``, a ``LogitLoss``): D judges a
real and a fake batch in one step, with the gradient penalties when due, then G steps.

Each is called with the ``GAN`` module, which owns the networks and Lightning's side (``toggled_optimizer``,
``manual_backward``), and returns the values of its steps as one tensor, named by ``steps``: every one is checked for
a NaN or an infinity (``GAN._count``); the first ``d_losses`` are D's losses and the last is G's, the ones recorded.
"""

import torch


def step(gan, optimizer, loss: torch.Tensor) -> torch.Tensor:
    """One optimizer step on ``loss``, through Lightning's ``manual_backward`` (precision plugins, DDP)."""
    optimizer.zero_grad()
    gan.manual_backward(loss)
    optimizer.step()
    return loss.detach()


def fakes(gan, batch_shape, device, digits=()) -> torch.Tensor:
    """G's samples for a fresh noise draw of ``batch_shape`` (and a conditional G's one-hot ``digits``)."""
    return noise_and_fakes(gan, batch_shape, device, digits)[1]


def noise_and_fakes(gan, batch_shape, device, digits=()) -> tuple[torch.Tensor, torch.Tensor]:
    """A fresh noise draw z of ``batch_shape`` and G's samples for it."""
    z = gan.noise(*batch_shape, gan.latent_dim, device=device)
    return z, gan.generator(z, *digits)


def judge_fakes(gan, fake, z, digits) -> tuple[torch.Tensor, torch.Tensor | None]:
    """D's logits on ``fake`` and, with InfoGAN's term (``model.info_weight``), Q's cross-entropy on the codes of
    ``z`` from the same pass through D (None without it)."""
    if gan.information is None:
        return gan.discriminator.logits(fake, *digits), None
    logits, features = gan.discriminator.judged(fake)
    return logits, gan.information.loss(features, gan.noise.code_of(z))


def plus(loss: torch.Tensor, information: torch.Tensor | None) -> torch.Tensor:
    """``loss`` with InfoGAN's term added when there is one (no extra operation on the step without it)."""
    return loss if information is None else loss + information


class ThreeSteps:
    """The walkthrough's update, three optimizer steps:
    (1) D on real images, target 1:                    minimise loss(D(x), 1)
    (2) D on fakes G(z1), detached so G is untouched:   minimise loss(D(G(z1)), 0)
    (3) G through D on a fresh z2, target 1:           minimise loss(D(G(z2)), 1)"""

    steps = ("D on real", "D on fake", "G through D")
    d_losses = 2
    optimizer_steps = 3  # what Lightning's global_step (trainer.max_steps) counts per update

    def __call__(self, gan, real, labels, opt_d, opt_g) -> torch.Tensor:
        batch_shape = real.shape[:-1]  # packed (model.pack=m): D sees m samples per judgement
        D, loss = gan.discriminator, gan.loss
        with gan.toggled_optimizer(opt_d):
            judged = D(real, *gan.condition(labels))  # a conditional GAN pairs real images with their digits
            ones, zeros = torch.ones_like(judged), torch.zeros_like(judged)
            d_real = step(gan, opt_d, loss(judged, ones))
            digits = gan.random_digits(batch_shape)
            with torch.no_grad():  # the walkthrough's G(z1).detach(): same values, no graph to build
                fake = fakes(gan, batch_shape, real.device, digits)
            d_fake = step(gan, opt_d, loss(D(fake, *digits), zeros))
        with gan.toggled_optimizer(opt_g):  # D's weights get no gradients from G's step
            digits = gan.random_digits(batch_shape)
            g = step(gan, opt_g, loss(D(fakes(gan, batch_shape, real.device, digits), *digits), ones))
        return torch.stack([d_real, d_fake, g])


class SummedSteps:
    """The DCGAN's update (pytorch/examples ``dcgan/main.py``), two optimizer steps:
    (1) Update D: maximize log D(x) + log(1 - D(G(z))):  one step on loss(D(x), 1) + loss(D(G(z).detach()), 0)
    (2) Update G: maximize log D(G(z)):                  G through the updated D, on the same fakes G(z)
    Both of D's terms are recorded (their mean is the progress bar's and the curves' D loss, which balances at the
    loss's equilibrium as the walkthrough's does); D steps once on their sum, as the reference does."""

    steps = ("D on real", "D on fake", "G through D")
    d_losses = 2
    optimizer_steps = 2

    def __call__(self, gan, real, labels, opt_d, opt_g) -> torch.Tensor:
        batch_shape = real.shape[:-1]
        D, loss = gan.discriminator, gan.loss
        digits = gan.random_digits(batch_shape)
        fake = fakes(gan, batch_shape, real.device, digits)  # with G's graph: G's step follows it below
        with gan.toggled_optimizer(opt_d):
            judged = D(real, *gan.condition(labels))
            ones, zeros = torch.ones_like(judged), torch.zeros_like(judged)
            d_real, d_fake = loss(judged, ones), loss(D(fake.detach(), *digits), zeros)
            step(gan, opt_d, d_real + d_fake)
        with gan.toggled_optimizer(opt_g):  # D's weights get no gradients from G's step
            g = step(gan, opt_g, loss(D(fake, *digits), ones))
        return torch.stack([d_real.detach(), d_fake.detach(), g])


class LogitSteps:
    """The update on D's logits, two optimizer steps (D's loss with its penalties is checked as a value of its own):
    (1) D on a real batch and a fake batch together:   minimise L_D(D(x), D(G(z1))) + penalties (R1, R2, GP)
    (2) G through D on a fresh z2:                     minimise L_G(D(x), D(G(z2)))
    A conditional GAN draws its fakes as the real batch's digits, as R3GAN does: D compares a real 7 with a fake 7.
    With InfoGAN's term (``model.info_weight``), Q's cross-entropy on the fakes' codes joins both steps' losses; G's
    recorded loss leaves it out (``GAN.last_information`` holds it, logged as ``loss/info``)."""

    steps = ("D on real and fake", "D with its penalties", "G through D")
    d_losses = 1
    optimizer_steps = 2

    def __call__(self, gan, real, labels, opt_d, opt_g) -> torch.Tensor:
        batch_shape = real.shape[:-1]
        D, loss, penalty = gan.discriminator, gan.loss, gan.penalty
        digits = gan.condition(labels)  # the real batch's, for its fakes too
        with gan.toggled_optimizer(opt_d):
            # the penalties differentiate D's logits with respect to its inputs: those require grad when one is due
            due = penalty.due(gan.updates)
            with torch.no_grad():
                z, fake = noise_and_fakes(gan, batch_shape, real.device, digits)
            real_in = real.detach().requires_grad_(due and penalty.r1 > 0)
            fake_in = fake.requires_grad_(due and penalty.r2 > 0)
            real_logits = D.logits(real_in, *digits)
            fake_logits, information = judge_fakes(gan, fake_in, z, digits)
            d_loss = loss.discriminator_loss(real_logits.float(), fake_logits.float())
            total = (
                self.penalised(gan, d_loss, real, fake, real_in, fake_in, real_logits, fake_logits, digits)
                if due
                else d_loss
            )
            total = plus(total, information)
            step(gan, opt_d, total)
        with gan.toggled_optimizer(opt_g):  # D's weights get no gradients from G's step
            # relativistic pairing compares with D on the real batch again
            z, fake = noise_and_fakes(gan, batch_shape, real.device, digits)
            real_logits = D.logits(real, *digits).float() if loss.uses_real_in_generator_step else None
            fake_logits, information = judge_fakes(gan, fake, z, digits)
            g_loss = loss.generator_loss(real_logits, fake_logits.float())
            step(gan, opt_g, plus(g_loss, information))
        # G's recorded loss is its GAN loss alone, which balances at the loss's equilibrium; Q's term in G's step is
        # a series of its own (loss/info)
        gan.last_information = None if information is None else information.detach()
        return torch.stack([d_loss.detach(), total.detach(), g_loss.detach()])

    @staticmethod
    def penalised(gan, d_loss, real, fake, real_in, fake_in, real_logits, fake_logits, digits) -> torch.Tensor:
        """D's loss plus R1 on the real batch, R2 on the fake one and WGAN-GP on interpolates, each at its
        scheduled strength."""
        penalty, gamma = gan.penalty, gan.ramps.gamma
        strength = penalty.strength(gan.schedule.factor(gan.updates, gan.total_updates or 1))
        r1, r2 = penalty.r1, penalty.r2
        if gamma is not None:  # R3GAN's ramped gamma in place of r1 and r2 (those only switch each on)
            r1, r2 = (gamma.value(gan.state.images) if on else 0.0 for on in (r1, r2))
        total = d_loss
        if r1:
            total = total + strength * r1 / 2 * penalty.zero_centred(real_logits, real_in)
        if r2:
            total = total + strength * r2 / 2 * penalty.zero_centred(fake_logits, fake_in)
        if penalty.gp:
            total = total + strength * penalty.gp * penalty.one_centred(gan.discriminator.logits, real, fake, digits)
        return total
