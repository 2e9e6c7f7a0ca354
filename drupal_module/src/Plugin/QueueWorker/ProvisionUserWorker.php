<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Plugin\QueueWorker;

use Drupal\Core\Plugin\ContainerFactoryPluginInterface;
use Drupal\Core\Queue\Attribute\QueueWorker;
use Drupal\Core\Queue\DelayedRequeueException;
use Drupal\Core\Queue\QueueWorkerBase;
use Drupal\Core\Queue\SuspendQueueException;
use Drupal\Core\StringTranslation\TranslatableMarkup;
use Drupal\entra_provisioning\Native\FfiLoader;
use Drupal\entra_provisioning\Provisioning\ClientFactory;
use Drupal\entra_provisioning\Provisioning\Outcome;
use Drupal\entra_provisioning\Provisioning\QueueItem;
use Drupal\entra_provisioning\Provisioning\QueueRunner;
use Psr\Log\LoggerInterface;
use Symfony\Component\DependencyInjection\ContainerInterface;

/**
 * Works the entra_provisioning_user queue on cron and "drush queue:run".
 *
 * Core claims one item and hands it here; a create claims the group of
 * items after it too and drains them with it (QueueRunner): creates go to
 * Graph together through the bulk path, and this plugin settles core's item
 * by its outcome while the runner settles the others.
 *
 * Throttled or transient errors: DelayedRequeueException with the
 * Retry-After delay (honoured by queues implementing DelayableQueueInterface,
 * such as the database queue; others keep the item until its lease expires).
 * Configuration, credential or permission errors: SuspendQueueException (the
 * item is released and the rest of the queue waits for the next run). It
 * carries no delay on purpose: core's Cron comes back to a queue whose delay
 * is under suspendMaximumWait (30 s) within the same run, sleeping in the PHP
 * process until then. QueueSuspension keeps the real time of the next probe.
 * Permanent errors for one user: recorded as failed, the item is removed.
 */
#[QueueWorker(
  id: 'entra_provisioning_user',
  title: new TranslatableMarkup('Entra ID user provisioning'),
  cron: ['time' => 60],
)]
final class ProvisionUserWorker extends QueueWorkerBase implements ContainerFactoryPluginInterface {

  /**
   * @param array<string, mixed> $configuration
   * @param string $plugin_id
   * @param mixed $plugin_definition
   */
  public function __construct(
    array $configuration,
    $plugin_id,
    $plugin_definition,
    private QueueRunner $runner,
    private ClientFactory $clients,
    private LoggerInterface $logger
  ) {
    parent::__construct($configuration, $plugin_id, $plugin_definition);
  }

  /**
   * @param array<string, mixed> $configuration
   * @param string $plugin_id
   * @param mixed $plugin_definition
   */
  public static function create(ContainerInterface $container, array $configuration, $plugin_id, $plugin_definition) {
    return new static(
      $configuration,
      $plugin_id,
      $plugin_definition,
      $container->get('entra_provisioning.queue_runner'),
      $container->get('entra_provisioning.client_factory'),
      $container->get('logger.channel.user_provisioning')
    );
  }

  /**
   * @param mixed $data
   */
  public function processItem($data): void {
    try {
      $item = QueueItem::fromArray($data);
    }
    catch (\InvalidArgumentException $e) {
      $this->logger->error('Dropped a malformed item of the entra_provisioning_user queue: @error', ['@error' => $e->getMessage()]);

      return;
    }
    $environment = $this->clients->environment();
    if (!FfiLoader::isUsable($environment)) {
      // Not this user's fault: keep every item for a PHP that can use FFI.
      throw new SuspendQueueException((string) ($environment['reason'] ?? 'FFI is not available.'));
    }
    // A create drains the creates after it too, through the bulk path.
    $outcome = $this->runner->runWithFollowers($item);
    switch ($outcome->status) {
      case Outcome::RETRY:
        throw new DelayedRequeueException(max(1, $outcome->delaySeconds));

      case Outcome::BLOCKED:
        throw new SuspendQueueException($outcome->message);

      default:
        // Done, or failed for good (already logged and recorded).
        return;
    }
  }

}
