<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Hook;

use Drupal\Core\Hook\Attribute\Hook;
use Drupal\entra_provisioning\Provisioning\Importer;
use Psr\Log\LoggerInterface;

/**
 * Cron: the Entra ID -> Drupal import, when its interval has passed.
 *
 * The queue of the other direction runs on cron through its #[QueueWorker]
 * plugin; nothing to do for it here.
 */
final class CronHooks {

  public function __construct(
    private Importer $importer,
    private LoggerInterface $logger
  ) {
  }

  /**
   * Implements hook_cron().
   */
  #[Hook('cron')]
  public function cron(): void {
    try {
      $this->importer->cron();
    }
    catch (\Throwable $e) {
      // Never break the other cron jobs.
      $this->logger->error('The Entra ID import on cron failed: @error', ['@error' => $e->getMessage()]);
    }
  }

}
