"""Tests of depslim.inputs."""
