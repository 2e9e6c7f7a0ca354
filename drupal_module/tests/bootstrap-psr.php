<?php

/**
 * @file
 * PSR-3 for the tests and the module benchmark, from Debian's php-psr-log
 * (PSR-3 v1, ships Psr\Log\Test\TestLogger). tests/bootstrap.php loads it
 * for every test, so no test depends on another having loaded it.
 *
 *   apt-get install -y php-psr-log
 */

declare(strict_types=1);

if (!interface_exists(\Psr\Log\LoggerInterface::class)) {
  $autoload = '/usr/share/php/Psr/Log/autoload.php';
  if (!is_file($autoload)) {
    throw new \RuntimeException('psr/log is missing: apt-get install -y php-psr-log (expected ' . $autoload . ').');
  }
  require_once $autoload;
}
