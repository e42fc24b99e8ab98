"""Time-to-quality and throughput benchmarks for the course's GANs (run: python benchmarks/run.py).

Not part of the gan_helpers package: benchmarks/tutorial_dcgan.py is a deliberate foil written the
way common tutorials do it, kept here only to be measured against.
"""
