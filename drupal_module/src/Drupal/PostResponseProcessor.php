<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Drupal;

use Drupal\Core\DestructableInterface;
use Drupal\entra_provisioning\Native\FfiLoader;
use Drupal\entra_provisioning\Provisioning\ClientFactory;
use Drupal\entra_provisioning\Provisioning\QueueRunner;
use Psr\Log\LoggerInterface;

/**
 * Works the queue right after the response was sent.
 *
 * Tagged needs_destruction: Drupal calls destruct() from the kernel.terminate
 * event, after the response went out (FPM: after fastcgi_finish_request()),
 * and only if this service was used during the request, i.e. when a hook
 * asked for it with requestRun(). Whatever is not finished within the budget
 * stays queued for cron / "drush queue:run entra_provisioning_user".
 */
final class PostResponseProcessor implements DestructableInterface {

  private bool $requested = FALSE;

  public function __construct(
    private QueueRunner $runner,
    private ClientFactory $clients,
    private LoggerInterface $logger
  ) {
  }

  /**
   * Asks for queue processing at the end of this request.
   */
  public function requestRun(): void {
    $this->requested = TRUE;
  }

  public function destruct(): void {
    if (!$this->requested) {
      return;
    }
    $this->requested = FALSE;
    // Everything, the settings read included, stays inside the try: this
    // runs from kernel.terminate and must never throw.
    try {
      $budgetMs = $this->clients->settings()->postResponseBudgetMs();
      if ($budgetMs <= 0) {
        return;
      }
      // Without FFI in this SAPI the work waits for cron on the CLI,
      // instead of failing once per request.
      if (!FfiLoader::isUsable($this->clients->environment())) {
        return;
      }
      $this->runner->run($budgetMs / 1000, 20);
    }
    catch (\Throwable $e) {
      try {
        $message = (string) $this->clients->redact($e->getMessage());
      }
      catch (\Throwable $redactError) {
        // The secret cannot be read, so it cannot be scrubbed: log the
        // exception class only.
        $message = get_class($e);
      }
      $this->logger->error('Post-response Entra ID provisioning stopped: @error', ['@error' => $message]);
    }
  }

}
