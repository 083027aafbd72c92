pub mod swarm;
